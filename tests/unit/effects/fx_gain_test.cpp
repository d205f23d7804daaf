// fx_gain: what follows it in the pipe hears the gain (the level analyzer reads +6.02 dB for a
// gain of 2), what comes before it does not; bad gains are usage errors naming the parameter.
#include <catch2/catch.hpp>

#include <cmath>

#include "../test_support.hpp"
#include "analyzers/level.hpp"
#include "core/errors.hpp"
#include "core/pipe.hpp"
#include "core/registry.hpp"
#include "decoders/array_decoder.hpp"
#include "effects/fx_gain.hpp"

using namespace timeside;

TEST_CASE("fx_gain changes the level of what follows it, not of what comes before", "[effects]") {
    for (double gain : {2.0, 0.5, 10.0}) {
        auto before = get_processor_as<level>("level");
        auto after = get_processor_as<level>("level");
        auto fx = get_processor("fx_gain", {{"gain", gain}});
        REQUIRE(fx->kind() == processor_kind::effect);
        (array_decoder::from_samples(test::sine(440, 44100, 44100, 2, 0.05), 44100, 2, 4096) | before | fx | after).run();
        const double db = 20 * std::log10(gain);
        INFO("gain " << gain);
        CHECK(before.get() != after.get());
        CHECK(before->result("level.rms").data.value[0] == Approx(20 * std::log10(0.05) - 3.0103).margin(1e-3));
        CHECK(after->result("level.rms").data.value[0] - before->result("level.rms").data.value[0] ==
              Approx(db).margin(1e-4));
        CHECK(after->result("level.max").data.value[0] - before->result("level.max").data.value[0] ==
              Approx(db).margin(1e-4));
    }
}

TEST_CASE("fx_gain scales every sample and keeps format and position", "[effects]") {
    auto fx = get_processor_as<fx_gain>("fx_gain", {{"gain", std::string("3")}});
    auto in = block::make({8000, 2}, 1234, {0.1f, -0.2f, 0.3f, 1.0f});
    CHECK(fx->setup(stream_info{{8000, 2}, 100, 2, 0, false, {}}).format == audio_format{8000, 2});
    auto out = fx->transform(in);
    CHECK(out->position() == 1234);
    CHECK(out->format() == in->format());
    REQUIRE(out->samples().size() == 4);
    CHECK(out->samples()[1] == Approx(-0.6f));
    CHECK(out->samples()[3] == 3.0f);  // no clipping: encoders clip
    CHECK(in->samples()[3] == 1.0f);   // the shared input block is untouched
    // Unity gain passes the block itself on.
    auto unity = get_processor_as<fx_gain>("fx_gain");
    CHECK(unity->transform(in) == in);
}

TEST_CASE("fx_gain of 0 gives silence and no NaN on full-scale input", "[effects]") {
    auto fx = get_processor_as<fx_gain>("fx_gain", {{"gain", 0.0}});
    auto out = fx->transform(block::make({8000, 1}, 0, {1.0f, -1.0f, 0.5f}));
    for (float x : out->samples()) CHECK(x == 0.0f);
}

TEST_CASE("bad gains are usage errors naming the parameter and its range", "[effects]") {
    CHECK_THROWS_AS(get_processor("fx_gain", {{"gain", -1.0}}), usage_error);
    CHECK_THROWS_WITH(get_processor("fx_gain", {{"gain", 5000.0}}), Catch::Contains("gain") && Catch::Contains("1000"));
    CHECK_THROWS_WITH(get_processor("fx_gain", {{"gain", std::string("loud")}}), Catch::Contains("gain"));
}
