// Push URLs: what parse_push_url takes from icecast:// URLs, what it refuses (with a message that
// never shows the password), and the `push` key of a stream definition naming file, line and key.
#include <catch2/catch.hpp>

#include "core/errors.hpp"
#include "core/presets.hpp"
#include "server/live/icecast_push_target.hpp"
#include "server/live/stream_definition.hpp"
#include "definition_test_support.hpp"

using namespace timeside;
using namespace timeside::server::live;
using namespace timeside::test;

namespace {

std::string url_error(const std::string& url) {
    try {
        parse_push_url(url);
    } catch (const usage_error& e) {
        return e.what();
    }
    return "no error";
}

// The message a definition with `push_line` under its one MP3 output gets.
std::string push_line_error(const std::string& push_line) {
    return definition_error(minimal_definition + push_line + "\n");
}

}  // namespace

TEST_CASE("a push URL gives user, password, host, port and mount", "[push][url]") {
    const auto t = parse_push_url("icecast://source:hack%40me@relay.example.org:8010/live.mp3");
    CHECK(t.user == "source");
    CHECK(t.password == "hack@me");
    CHECK(t.host == "relay.example.org");
    CHECK(t.port == 8010);
    CHECK(t.mount == "/live.mp3");
    CHECK(t.redacted() == "icecast://source:***@relay.example.org:8010/live.mp3");

    const auto d = parse_push_url("icecast://source:pw@127.0.0.1/a/b.ogg");
    CHECK(d.port == 8000);  // Icecast's default
    CHECK(d.mount == "/a/b.ogg");
    const auto v6 = parse_push_url("http://source:pw@[::1]:9000/m");
    CHECK(v6.host == "::1");
    CHECK(v6.port == 9000);
    CHECK(v6.redacted() == "icecast://source:***@[::1]:9000/m");
}

TEST_CASE("a bad push URL says what is wrong and never shows the password", "[push][url]") {
    CHECK_THAT(url_error("rtmp://source:secret1@h:1/m"), Catch::Contains("scheme 'rtmp'"));
    CHECK_THAT(url_error("icecast://h:8000/m"), Catch::Contains("no credentials"));
    CHECK_THAT(url_error("icecast://source@h:8000/m"), Catch::Contains("no password"));
    CHECK_THAT(url_error("icecast://:secret1@h:8000/m"), Catch::Contains("no user"));
    CHECK_THAT(url_error("icecast://source:secret1@:8000/m"), Catch::Contains("no host"));
    CHECK_THAT(url_error("icecast://source:secret1@h:0/m"), Catch::Contains("port '0'"));
    CHECK_THAT(url_error("icecast://source:secret1@h:65536/m"), Catch::Contains("port '65536'"));
    CHECK_THAT(url_error("icecast://source:secret1@h:80x/m"), Catch::Contains("port '80x'"));
    CHECK_THAT(url_error("icecast://source:secret1@h:8000"), Catch::Contains("no mount"));
    CHECK_THAT(url_error("icecast://source:secret1@h:8000/"), Catch::Contains("no mount"));
    CHECK_THAT(url_error("icecast://source:secret1@h:8000/a b"), Catch::Contains("mount '/a b'"));
    CHECK_THAT(url_error("icecast://source:secret1@h:8000/m?x=1"), Catch::Contains("mount '/m?x=1'"));
    CHECK_THAT(url_error("icecast://source:secret1@h/st%zz"), Catch::Contains("mount"));
    for (const char* bad : {"rtmp://source:secret1@h:1/m", "icecast://source:secret1@h:0/m",
                            "icecast://source:secret1@h:8000/a b", "icecast://source:secret1@bad host/m"})
        CHECK(url_error(bad).find("secret1") == std::string::npos);
}

TEST_CASE("the push key of an output is read and checked with file, line and key", "[push][definition]") {
    const std::string text = minimal_definition +
                             "push = [\"icecast://source:pw1@127.0.0.1:8001/a.mp3\", \"icecast://source:pw2@127.0.0.1:8002/b.mp3\"]\n";
    const auto d = parse_definition(text);
    REQUIRE(d.outputs.size() == 1);
    REQUIRE(d.outputs[0].push.size() == 2);
    CHECK(d.outputs[0].push[1].port == 8002);
    CHECK(d.outputs[0].push[1].password == "pw2");
    CHECK(d.outputs[0].encoder_spec == "mp3_encoder");  // push is not an encoder parameter

    CHECK(push_line_error("push = [\"icecast://source:secret1@h:99999/m\"]") ==
          "streams/radio.toml:5: key 'outputs[0].push[0]': port '99999': expected a number from 1 to 65535");
    CHECK(push_line_error("push = \"icecast://source:pw@h:8000/m\"") ==
          "streams/radio.toml:5: key 'outputs[0].push': expected an array of URLs ([\"icecast://source:PASSWORD@host:port/mount\"]), got a string (put it in brackets)");
    CHECK_THAT(push_line_error("push = [\"icecast://source:pw@h:8000/m\", \"icecast://source:other@h:8000/m\"]"),
               Catch::Contains("key 'outputs[0].push[1]': icecast://source:***@h:8000/m is pushed to twice"));
    CHECK_THAT(push_line_error("push = [\"ftp://source:secret1@h:8000/m\"]"), Catch::Contains("key 'outputs[0].push[0]': scheme 'ftp'"));
    CHECK(push_line_error("push = [\"ftp://source:secret1@h:8000/m\"]").find("secret1") == std::string::npos);
}
