// The bytes of a push's requests: the PUT with Expect and the ice-* headers, the SOURCE fallback,
// the title update, and reading Icecast's status lines.
#include <catch2/catch.hpp>

#include "server/live/icecast_push_request.hpp"

using namespace timeside::server::live;

namespace {
push_target target() { return parse_push_url("icecast://source:hackme@127.0.0.1:8000/relay.mp3"); }
push_stream_info info() {
    return {"audio/mpeg", "Radio\r\nX-Evil: 1", "Our radio", "jazz", "https://radio.example", true, 44100, 2, 128};
}
}  // namespace

TEST_CASE("the PUT request carries auth, type, Expect and the ice-* headers", "[push][request]") {
    const std::string r = source_request(target(), push_method::put, info());
    CHECK(r.rfind("PUT /relay.mp3 HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n", 0) == 0);
    // base64("source:hackme"), as `printf source:hackme | base64` gives it
    CHECK_THAT(r, Catch::Contains("\r\nAuthorization: Basic c291cmNlOmhhY2ttZQ==\r\n"));
    CHECK_THAT(r, Catch::Contains("\r\nContent-Type: audio/mpeg\r\n"));
    CHECK_THAT(r, Catch::Contains("\r\nExpect: 100-continue\r\n"));
    CHECK_THAT(r, Catch::Contains("\r\nice-name: Radio  X-Evil: 1\r\n"));  // no header injection
    CHECK_THAT(r, Catch::Contains("\r\nice-description: Our radio\r\n"));
    CHECK_THAT(r, Catch::Contains("\r\nice-genre: jazz\r\n"));
    CHECK_THAT(r, Catch::Contains("\r\nice-url: https://radio.example\r\n"));
    CHECK_THAT(r, Catch::Contains("\r\nice-public: 1\r\n"));
    CHECK_THAT(r, Catch::Contains("\r\nice-audio-info: bitrate=128;samplerate=44100;channels=2\r\n"));
    CHECK(r.size() > 4);
    CHECK(r.substr(r.size() - 4) == "\r\n\r\n");
    CHECK(r.find("\r\n\r\n") == r.size() - 4);  // one head, nothing after it
}

TEST_CASE("the SOURCE request is HTTP/1.0 without Expect", "[push][request]") {
    const std::string r = source_request(target(), push_method::source, info());
    CHECK(r.rfind("SOURCE /relay.mp3 HTTP/1.0\r\n", 0) == 0);
    CHECK(r.find("Expect") == std::string::npos);
    CHECK_THAT(r, Catch::Contains("\r\nAuthorization: Basic c291cmNlOmhhY2ttZQ==\r\n"));
    push_stream_info vbr = info();
    vbr.bitrate_kbps = 0;
    CHECK(ice_audio_info(vbr) == "samplerate=44100;channels=2");
}

TEST_CASE("the title update escapes the mount and the song", "[push][request]") {
    const std::string r = metadata_request(target(), "Artist & Co - Song=1");
    CHECK(r.rfind("GET /admin/metadata?mount=%2Frelay.mp3&mode=updinfo&song=Artist%20%26%20Co%20-%20Song%3D1 HTTP/1.0\r\n", 0) == 0);
    CHECK_THAT(r, Catch::Contains("\r\nAuthorization: Basic c291cmNlOmhhY2ttZQ==\r\n"));
}

TEST_CASE("status lines and refusals", "[push][request]") {
    CHECK(response_status("HTTP/1.1 100 Continue") == 100);
    CHECK(response_status("HTTP/1.0 200 OK") == 200);
    CHECK(response_status("ICE/1.0 200 OK") == 200);
    CHECK(response_status("HTTP/1.0 401 Authentication Required") == 401);
    CHECK_FALSE(response_status("garbage"));
    CHECK_FALSE(response_status("HTTP/1.1 2x0 OK"));
    CHECK(refusal_text(401, "HTTP/1.0 401 Authentication Required") == "bad credentials (401)");
    CHECK_THAT(refusal_text(403, "HTTP/1.0 403 Mountpoint in use"), Catch::Contains("mount in use"));
    CHECK(asks_for_source(405));
    CHECK(asks_for_source(501));
    CHECK(asks_for_source(400));
    CHECK_FALSE(asks_for_source(401));
    CHECK_FALSE(asks_for_source(403));
}
