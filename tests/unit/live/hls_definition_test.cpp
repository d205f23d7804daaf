// [hls] in a stream definition: defaults, every key, and each mistake named with file, line and key.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/errors.hpp"
#include "core/presets.hpp"
#include "server/live/stream_definition.hpp"
#include "definition_test_support.hpp"

using namespace timeside;
using namespace timeside::server::live;
using namespace timeside::test;

namespace {

}  // namespace

TEST_CASE("[hls] defaults: on, 2 s segments, a window of 6", "[hls][definition]") {
    const auto d = parse_stream_definition(minimal_definition, "streams/radio.toml", shipped_presets());
    CHECK(d.hls.enabled);
    CHECK(d.hls.segment_seconds == 2.0);
    CHECK(d.hls.window == 6);
    CHECK(to_json(d)["hls"] == nlohmann::json{{"enabled", true}, {"segment_seconds", 2.0}, {"window", 6},
                                              {"url", "/live/radio/index.m3u8"}});
}

TEST_CASE("[hls] keys are read and checked", "[hls][definition]") {
    const auto d = parse_stream_definition(minimal_definition + "[hls]\nenabled = false\nsegment_seconds = 4.5\nwindow = 10\n",
                                           "streams/radio.toml", shipped_presets());
    CHECK(!d.hls.enabled);
    CHECK(d.hls.segment_seconds == 4.5);
    CHECK(d.hls.window == 10);
    CHECK(definition_error(minimal_definition + "[hls]\nsegment_seconds = 0.5\n") ==
          "streams/radio.toml:6: key 'hls.segment_seconds': expected a number of seconds from 1 to 10, got 0.5");
    CHECK(definition_error(minimal_definition + "[hls]\nsegment_seconds = 11\n") ==
          "streams/radio.toml:6: key 'hls.segment_seconds': expected a number of seconds from 1 to 10, got 11");
    CHECK(definition_error(minimal_definition + "[hls]\nwindow = 2\n") ==
          "streams/radio.toml:6: key 'hls.window': expected an integer from 3 to 100, got 2");
    CHECK(definition_error(minimal_definition + "[hls]\nwindow = 3.5\n") ==
          "streams/radio.toml:6: key 'hls.window': expected an integer from 3 to 100, got 3.5");
    CHECK(definition_error(minimal_definition + "[hls]\nenabled = \"yes\"\n") ==
          "streams/radio.toml:6: key 'hls.enabled': expected true or false, got 'yes'");
    CHECK(definition_error(minimal_definition + "[hls]\nsegment = 2\n") ==
          "streams/radio.toml:6: key 'hls.segment': unknown key; [hls] takes: enabled, segment_seconds, window");
    CHECK(definition_error("hls = 2\n" + minimal_definition) == "streams/radio.toml:1: key 'hls': expected a table ([hls]), got 2");
}
