// The HLS routes' answers: cache headers, ETag and 304, and bad or evicted names answered 404
// with a message naming them, never a crash (names fuzzed).
#include "server/hls/hls_reply.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <random>

using namespace timeside::server;
using namespace timeside::server::live;
using namespace timeside::server::hls;

namespace {

std::shared_ptr<hls_segmenter> with_segments(int count) {
    hls_settings h;
    h.mount_id = "radio";
    h.window = 3;
    h.stream_start = std::chrono::system_clock::time_point(std::chrono::seconds(1796547600));
    auto s = std::make_shared<hls_segmenter>(h);
    for (int i = 0; i < 77 * count; ++i) {
        auto c = std::make_shared<live_chunk>();
        c->bytes.assign(417, 0);
        c->bytes[0] = 0xFF, c->bytes[1] = 0xFB, c->bytes[2] = 0x90, c->bytes[3] = 0x64;
        c->bytes[4] = static_cast<unsigned char>(i);
        c->sync = true;
        s->publish(c);
    }
    return s;
}

http::request get(const std::string& target) { return http::request{http::bhttp::verb::get, target, 11}; }

// The status of hls_response's answer and, for an error, its message (the JSON body's "error").
std::pair<int, std::string> outcome(hls_segmenter& s, const std::string& name, const http::request& req) {
    const auto res = hls_response(req, s, name).res;
    if (res.result_int() < 400) return {static_cast<int>(res.result_int()), {}};
    return {static_cast<int>(res.result_int()), nlohmann::json::parse(res.body()).at("error").get<std::string>()};
}

}  // namespace

TEST_CASE("the playlist lives half a segment in caches", "[hls]") {
    auto s = with_segments(2);
    const auto res = hls_response(get("/live/radio/index.m3u8"), *s, "index.m3u8").res;
    CHECK(res.result() == http::status::ok);
    CHECK(res[http::bhttp::field::content_type] == "application/vnd.apple.mpegurl");
    CHECK(res[http::bhttp::field::cache_control] == "public, max-age=1");
    CHECK(res.body() == *s->playlist());
    CHECK(s->counters().playlist_requests == 1);
}

TEST_CASE("a segment is immutable: a day in caches, a strong ETag, 304 when it matches", "[hls]") {
    auto s = with_segments(2);
    const auto seg = s->segments().back();
    const auto res = hls_response(get("/live/radio/" + seg->name), *s, seg->name).res;
    CHECK(res.result() == http::status::ok);
    CHECK(res[http::bhttp::field::cache_control] == "public, max-age=86400, immutable");
    CHECK(res[http::bhttp::field::content_type] == "audio/mpeg");
    const std::string etag(res[http::bhttp::field::etag]);
    CHECK(etag.size() == 18);
    CHECK(etag.front() == '"');  // strong: no W/
    CHECK(res.body() == std::string(seg->bytes.begin(), seg->bytes.end()));
    // Another segment, another tag.
    CHECK(s->segments().front()->etag != etag);
    auto conditional = get("/live/radio/" + seg->name);
    conditional.set(http::bhttp::field::if_none_match, etag);
    const auto again = hls_response(conditional, *s, seg->name).res;
    CHECK(again.result() == http::status::not_modified);
    CHECK(again.body().empty());
    CHECK(s->counters().segment_requests == 2);
}

TEST_CASE("an evicted segment is a 404 naming it", "[hls]") {
    auto s = with_segments(7);  // window 3 + 2 held: segments 0 and 1 are gone
    const std::string first = "seg-" + std::to_string(s->settings().first_sequence) + "--1105.mp3";
    const auto [code, message] = outcome(*s, first, get("/"));
    CHECK(code == 404);
    CHECK(message == "no HLS segment /live/radio/" + first +
                         ": segments are kept while in the playlist's window and two more; this one is gone or was never made");
    CHECK(s->counters().not_found == 1);
    // Gone for good (its number is past): caches may keep the 404 as long as a segment, so a herd of
    // late players reaches the origin once. A number not reached yet may be published: no-store.
    CHECK(hls_response(get("/"), *s, first).res[http::bhttp::field::cache_control] == "public, max-age=86400");
    const std::string next = "seg-" + std::to_string(s->next_sequence()) + "-1.mp3";
    CHECK(hls_response(get("/"), *s, next).res[http::bhttp::field::cache_control] == "no-store");
    CHECK(hls_response(get("/"), *s, "seg-x.mp3").res[http::bhttp::field::cache_control] == "public, max-age=86400");
}

TEST_CASE("bad segment names are 404s that say what names look like, never a crash", "[hls]") {
    auto s = with_segments(3);
    const std::vector<std::string> bad = {
        "", "seg-", "seg-.mp3", "seg-1.mp3", "seg-1-.mp3", "seg--1-5.mp3", "seg-01-5.mp3", "seg-1-05.mp3",
        "seg-1--0.mp3", "seg-1-5.mp3x", "seg-1-5.MP3", "seg-1-5.ts", "seg-1-5", "SEG-1-5.mp3", "seg-+1-5.mp3",
        "seg-1-+5.mp3", "seg-1-5-6.mp3", "seg-99999999999999999999-5.mp3", "seg-1-9223372036854775808.mp3",
        "seg-18446744073709551616-1.mp3", "index.m3u", "index.m3u8 ", "..", "seg-1-5.mp3\0", std::string("seg-1\0-5.mp3", 12),
        "seg-1 -5.mp3", "seg-0x1-5.mp3", "seg-1-1e3.mp3"};
    for (const auto& name : bad) {
        INFO(name);
        const auto [code, message] = outcome(*s, name, get("/"));
        CHECK(code == 404);
        CHECK(!message.empty());
    }
    CHECK(outcome(*s, "seg-18446744073709551615-9223372036854775807.mp3", get("/")).first == 404);  // well-formed, not held
    CHECK(parse_hls_segment_name("seg-18446744073709551615-9223372036854775807.mp3").has_value());
    CHECK(parse_hls_segment_name("seg-7--1105.mp3")->first_frame == -1105);
    CHECK(!parse_hls_segment_name("seg-1-9223372036854775808.mp3").has_value());
    // Random names (bounded): every answer is 200 for a held segment or a 404.
    std::mt19937 rng(14);
    static const char letters[] = "seg-0123456789.mp3m8ux/\\%\0\xff";
    const std::string alphabet(letters, sizeof letters - 1);  // the NUL included
    for (int i = 0; i < 5000; ++i) {
        std::string name;
        const int n = static_cast<int>(rng() % 40);
        for (int k = 0; k < n; ++k) name += alphabet[rng() % alphabet.size()];
        if (rng() % 3 == 0) name = "seg-" + name + ".mp3";
        const auto code = outcome(*s, name, get("/")).first;
        REQUIRE((code == 404 || code == 200));
    }
    CHECK(outcome(*s, s->segments()[0]->name, get("/")).first == 200);
}

TEST_CASE("an encode on demand: the playlist request that finds no segment gets it once one is out", "[hls]") {
    auto s = with_segments(0);
    int demands = 0;
    s->set_demand([&] { return ++demands, true; });
    auto r = hls_response(get("/live/radio/index.m3u8"), *s, "index.m3u8");
    CHECK(demands == 1);
    REQUIRE(r.stream);
    CHECK(r.res.result() == http::status::ok);
    CHECK(r.res[http::bhttp::field::cache_control] == "public, max-age=1");
    CHECK(!r.res.has_content_length());  // sent chunked, when it comes
    int notified = 0;
    r.stream->set_notify([&] { ++notified; });
    std::vector<unsigned char> out;
    std::string error;
    CHECK(r.stream->take(out, error) == http::body_stream::state::pending);
    // A segment request meanwhile (one the encode has not made): a 404 no cache keeps.
    const auto miss = hls_response(get("/"), *s, "seg-5-5.mp3").res;
    CHECK(miss.result() == http::status::not_found);
    CHECK(miss[http::bhttp::field::cache_control] == "no-store");
    CHECK(demands == 2);
    // Players start three segments from the live edge: the waiting request gets the playlist
    // once it lists three (with fewer, they would start at the edge and stall at every boundary).
    CHECK(hls_start_segments(s->settings()) == 3);
    auto publish_segment = [&] {
        for (int i = 0; i < 77; ++i) {
            auto c = std::make_shared<live_chunk>();
            c->bytes.assign(417, 0);
            c->bytes[0] = 0xFF, c->bytes[1] = 0xFB, c->bytes[2] = 0x90, c->bytes[3] = 0x64;
            s->publish(c);
        }
    };
    publish_segment();
    publish_segment();
    CHECK(notified == 0);
    CHECK(r.stream->take(out, error) == http::body_stream::state::pending);
    CHECK(hls_response(get("/"), *s, "index.m3u8").stream);  // another request waits as well
    publish_segment();
    CHECK(notified == 1);
    REQUIRE(s->segments().size() == 3);
    REQUIRE(r.stream->take(out, error) == http::body_stream::state::data);
    CHECK(std::string(out.begin(), out.end()) == *s->playlist());
    CHECK(std::string(out.begin(), out.end()).find(s->segments()[0]->name) != std::string::npos);
    CHECK(r.stream->take(out, error) == http::body_stream::state::end);
    // Now listed: answered at once.
    CHECK(!hls_response(get("/"), *s, "index.m3u8").stream);
}

TEST_CASE("an encode on demand that makes no segment in time: 503 saying why", "[hls]") {
    auto s = with_segments(0);
    s->set_demand([] { return true; });
    auto r = hls_response(get("/live/radio/index.m3u8"), *s, "index.m3u8");
    REQUIRE(r.stream);
    const double wait = hls_first_segment_wait(s->settings());
    CHECK(wait == 10);  // 2 s segments: three of them, one more and 2 s
    s->expire_waiters(std::chrono::steady_clock::now() + std::chrono::milliseconds(9900));
    std::vector<unsigned char> out;
    std::string error;
    CHECK(r.stream->take(out, error) == http::body_stream::state::pending);
    s->expire_waiters(std::chrono::steady_clock::now() + std::chrono::milliseconds(10100));
    CHECK(r.stream->take(out, error) == http::body_stream::state::error);
    CHECK(r.stream->error_status() == http::status::service_unavailable);
    CHECK(error == "mount 'radio': its HLS encode (started on demand: the mount has no mp3 output) did not publish "
                   "3 segments within 10 s; try again");
}

TEST_CASE("without an encode on demand (cut from the mp3 output) an empty playlist is answered at once", "[hls]") {
    auto s = with_segments(0);
    const auto r = hls_response(get("/"), *s, "index.m3u8");
    CHECK(!r.stream);
    CHECK(r.res.body() == *s->playlist());
    // A lane that is gone (demand false) does not make anyone wait either.
    s->set_demand([] { return false; });
    CHECK(!hls_response(get("/"), *s, "index.m3u8").stream);
}
