// hls_reply: Content-Types as RFC 8216 §4 and §3.4 name them (application/vnd.apple.mpegurl,
// audio/mpeg for MPEG audio packed audio).
#include "server/live/hls_reply.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "server/http/file_reply.hpp"

namespace timeside::server::live {

using http::bhttp::field;

http::response hls_playlist_response(hls_segmenter& hls) {
    hls.count_playlist_request();
    http::response res{http::status::ok, 11};
    res.set(field::content_type, "application/vnd.apple.mpegurl");
    const int max_age = std::max(1, static_cast<int>(hls.settings().segment_seconds / 2));
    res.set(field::cache_control, fmt::format("public, max-age={}", max_age));
    res.body() = *hls.playlist();
    res.prepare_payload();
    return res;
}

http::response hls_response(const http::request& req, hls_segmenter& hls, const std::string& name) {
    if (name == hls_playlist_name) return hls_playlist_response(hls);
    const std::string& id = hls.settings().mount_id;
    const auto parsed = parse_hls_segment_name(name);
    if (!parsed) {
        hls.count_not_found();
        throw http::http_error(http::status::not_found,
                               fmt::format("no '{}' in /live/{}/: its HLS is index.m3u8 and segments named "
                                           "seg-{{sequence}}-{{first frame}}.mp3", name, id));
    }
    const auto segment = hls.find(name);
    if (!segment) {
        hls.count_not_found();
        throw http::http_error(http::status::not_found,
                               fmt::format("no HLS segment /live/{}/{}: segments are kept while in the playlist's "
                                           "window and two more; this one is gone or was never made", id, name));
    }
    hls.count_segment_request();
    http::response res{http::status::ok, 11};
    res.set(field::etag, segment->etag);
    res.set(field::cache_control, fmt::format("public, max-age={}, immutable", hls_segment_max_age));
    res.set(field::content_type, "audio/mpeg");
    if (auto inm = req.find(field::if_none_match); inm != req.end() && http::etag_matches(inm->value(), segment->etag)) {
        res.result(http::status::not_modified);
        return res;
    }
    res.body().assign(segment->bytes.begin(), segment->bytes.end());
    res.prepare_payload();
    return res;
}

}  // namespace timeside::server::live
