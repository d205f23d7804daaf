// SPEC parsing: the forms users type on the command line and in query strings.
#include <catch2/catch.hpp>

#include "core/errors.hpp"
#include "core/spec.hpp"

using namespace timeside;

TEST_CASE("a spec is an id with optional parameters", "[core][spec]") {
    auto s = parse_spec("waveform_simple:width=2048,height=128");
    CHECK(s.id == "waveform_simple");
    REQUIRE(s.parameters.size() == 2);
    CHECK(s.parameters[0].first == "width");
    CHECK(std::get<std::string>(s.parameters[1].second) == "128");
    CHECK(parse_spec("level").parameters.empty());
    CHECK(parse_spec("opus-64k").id == "opus-64k");
}

TEST_CASE("a spec list splits on commas that start a new id", "[core][spec]") {
    auto list = parse_spec_list("level,waveform_simple:width=2048,height=128,vorbis_encoder:quality=0.6,mp3-v2");
    REQUIRE(list.size() == 4);
    CHECK(list[0].id == "level");
    CHECK(list[1].id == "waveform_simple");
    CHECK(list[1].parameters.size() == 2);
    CHECK(list[2].parameters.size() == 1);
    CHECK(list[3].id == "mp3-v2");
}

TEST_CASE("malformed specs are usage errors", "[core][spec]") {
    CHECK_THROWS_AS(parse_spec(""), usage_error);
    CHECK_THROWS_AS(parse_spec("Level"), usage_error);
    CHECK_THROWS_AS(parse_spec("level:width"), usage_error);
    CHECK_THROWS_AS(parse_spec("../x"), usage_error);
}
