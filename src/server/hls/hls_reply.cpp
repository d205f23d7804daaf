// hls_reply: Content-Types as RFC 8216 §4 and §3.4 name them (application/vnd.apple.mpegurl,
// audio/mpeg for MPEG audio packed audio), and the wait of a playlist for the first segments of an encode on demand.
#include "server/hls/hls_reply.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "server/http/deferred_body.hpp"
#include "server/http/file_reply.hpp"

namespace timeside::server::hls {

using http::bhttp::field;

namespace {

http::response playlist_head(hls_segmenter& hls) {
    http::response res{http::status::ok, 11};
    res.set(field::content_type, "application/vnd.apple.mpegurl");
    const int max_age = std::max(1, static_cast<int>(hls.settings().segment_seconds / 2));
    res.set(field::cache_control, fmt::format("public, max-age={}", max_age));
    return res;
}

// `forever`: the name can never be served (its number is past, or it is not a segment's name);
// caches may keep that answer as long as a segment. Otherwise (a number not reached yet) no
// cache may keep it: the name may be published later.
http::response not_found(hls_segmenter& hls, const std::string& message, bool forever) {
    hls.count_not_found();
    auto res = http::error_reply(http::status::not_found, message);
    res.set(field::cache_control, forever ? fmt::format("public, max-age={}", hls_segment_max_age) : "no-store");
    return res;
}

}  // namespace

size_t hls_start_segments(const hls_settings& s) {
    return std::min<size_t>(3, s.window);
}

double hls_first_segment_wait(const hls_settings& s) {
    return static_cast<double>(hls_start_segments(s) + 1) * s.segment_seconds + 2;
}

http::response hls_playlist_response(hls_segmenter& hls) {
    hls.count_playlist_request();
    http::response res = playlist_head(hls);
    res.body() = *hls.playlist();
    res.prepare_payload();
    return res;
}

http::reply hls_response(const http::request& req, hls_segmenter& hls, const std::string& name) {
    // An encode on demand starts (or stays running) with any request of its HLS.
    const bool encoding_on_demand = hls.demand();
    const std::string& id = hls.settings().mount_id;
    if (name == hls_playlist_name) {
        const size_t start = hls_start_segments(hls.settings());
        if (!encoding_on_demand || hls.listed() >= start) return hls_playlist_response(hls);
        hls.count_playlist_request();
        const double wait = hls_first_segment_wait(hls.settings());
        auto body = std::make_shared<http::deferred_body>();
        std::string why = fmt::format("mount '{}': its HLS encode (started on demand: the mount has no mp3 output) "
                                      "did not publish {} segments within {:g} s; try again", id, start, wait);
        hls.add_waiter([body, why = std::move(why)](std::shared_ptr<const std::string> p) {
                           if (p) body->complete(*p);
                           else body->fail(http::status::service_unavailable, why);
                       },
                       std::chrono::steady_clock::now() +
                           std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(wait)),
                       start);
        return http::reply{playlist_head(hls), std::move(body)};
    }
    const auto parsed = parse_hls_segment_name(name);
    if (!parsed)
        return not_found(hls, fmt::format("no '{}' in /live/{}/: its HLS is index.m3u8 and segments named "
                                   "seg-{{sequence}}-{{first frame}}.mp3", name, id), true);
    const auto segment = hls.find(name);
    if (!segment)
        return not_found(hls, fmt::format("no HLS segment /live/{}/{}: segments are kept while in the playlist's "
                                   "window and two more; this one is gone or was never made", id, name),
                         parsed->sequence < hls.next_sequence());
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

}  // namespace timeside::server::hls
