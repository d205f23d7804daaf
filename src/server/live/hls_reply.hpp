// hls_reply: the HTTP answers of a mount's HLS, /live/{id}/index.m3u8 and /live/{id}/seg-*.mp3,
// made so that any HTTP cache in front can serve them: segments are immutable (a long lifetime, a
// strong ETag, 304 on If-None-Match), the playlist lives half a segment.
#pragma once

#include <string>

#include "server/http/reply.hpp"
#include "server/live/hls_segmenter.hpp"

namespace timeside::server::live {

inline constexpr const char* hls_playlist_name = "index.m3u8";
inline constexpr int hls_segment_max_age = 86400;  // seconds: a segment's bytes never change

// The playlist, Cache-Control max-age = half a segment (whole seconds, at least 1).
http::response hls_playlist_response(hls_segmenter& hls);

// GET /live/{id}/{name} of a mount that has HLS: the playlist, a held segment (304 when the
// request's If-None-Match names its ETag), or the http_error to answer: 404 naming the segment
// (evicted, or never made), 404 for a name that is neither (with what names look like).
http::response hls_response(const http::request& req, hls_segmenter& hls, const std::string& name);

}  // namespace timeside::server::live
