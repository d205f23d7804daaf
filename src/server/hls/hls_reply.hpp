// hls_reply: the HTTP answers of a mount's HLS, /live/{id}/index.m3u8 and /live/{id}/seg-*.mp3,
// made so that any HTTP cache in front can serve them: segments are immutable (a long lifetime, a
// strong ETag, 304 on If-None-Match), the playlist lives half a segment. A mount whose HLS is an
// encode of its own started on demand (hls_lane) answers the playlist request that finds too few
// segments listed once there are enough (an http::deferred_body: no network thread waits).
#pragma once

#include <string>

#include "server/http/reply.hpp"
#include "server/hls/hls_segmenter.hpp"

namespace timeside::server::hls {

inline constexpr const char* hls_playlist_name = "index.m3u8";
inline constexpr int hls_segment_max_age = 86400;  // seconds: a segment's bytes never change

// An encode started on demand answers the playlist once it lists this many segments: players
// start three segments from the live edge (hls.js's liveSyncDurationCount, ffmpeg's
// live_start_index); with fewer they start at the edge and stall at each segment boundary.
size_t hls_start_segments(const hls_settings& s);
// How long such a playlist request waits: those segments take as many segment lengths and the
// encoder's delay to publish; one segment and 2 s more, then 503.
double hls_first_segment_wait(const hls_settings& s);

// The playlist, Cache-Control max-age = half a segment (whole seconds, at least 1).
http::response hls_playlist_response(hls_segmenter& hls);

// GET /live/{id}/{name} of a mount that has HLS: the playlist (for an encode on demand with fewer
// than hls_start_segments listed: the playlist once it lists them, or a 503 past
// hls_first_segment_wait), a held segment (304 when the request's If-None-Match names its ETag),
// or the http_error to answer: 404 naming the segment (evicted, or never made), 404 for a name
// that is neither (with what names look like). A 404 that will never change (a number already
// used or skipped, a name that is not a segment's) lives as long as a segment in caches, so that a
// herd of late players asking for an evicted segment reaches us once; one for a number not
// reached yet is `Cache-Control: no-store` (it may be published later).
http::reply hls_response(const http::request& req, hls_segmenter& hls, const std::string& name);

}  // namespace timeside::server::hls
