// level against values computed directly from the samples (sox stats' definitions).
#include <catch2/catch.hpp>

#include <cmath>

#include "../test_support.hpp"
#include "analyzers/level.hpp"
#include "core/pipe.hpp"
#include "core/registry.hpp"
#include "decoders/array_decoder.hpp"

using namespace timeside;

namespace {
std::pair<double, double> run_level(std::vector<float> s, int channels, int blocksize = 8192) {
    auto lv = get_processor_as<level>("level");
    (array_decoder::from_samples(std::move(s), 44100, channels, blocksize) | lv).run();
    return {lv->result("level.max").data.value.at(0), lv->result("level.rms").data.value.at(0)};
}
}  // namespace

TEST_CASE("a full-scale sine reads 0 dB peak and -3.01 dB RMS", "[analyzers][level]") {
    auto [max, rms] = run_level(test::sine(1000, 44100, 44100, 2), 2);
    CHECK(max == Approx(0.0).margin(1e-4));
    CHECK(rms == Approx(-3.0103).margin(1e-3));
}

TEST_CASE("RMS pools all samples of all channels, whatever the block size", "[analyzers][level]") {
    // Left at 0.5, right at 0.1 (DC): mean square = (0.25 + 0.01) / 2.
    std::vector<float> s;
    for (int i = 0; i < 10001; ++i) { s.push_back(0.5f); s.push_back(0.1f); }
    double expected_rms = 20 * std::log10(std::sqrt((0.25 + 0.01) / 2));
    for (int bs : {1, 1000, 8192}) {
        auto [max, rms] = run_level(s, 2, bs);
        CHECK(max == Approx(20 * std::log10(0.5)).margin(1e-5));
        CHECK(rms == Approx(expected_rms).margin(1e-5));
    }
}

TEST_CASE("silence gives the finite floor, never -inf or NaN", "[analyzers][level]") {
    auto [max, rms] = run_level(std::vector<float>(1000, 0.0f), 1);
    CHECK(max == level::floor_db);
    CHECK(rms == level::floor_db);
    CHECK(std::isfinite(max));
}

TEST_CASE("results carry TimeSide's ids, names, unit and audio metadata", "[analyzers][level]") {
    auto lv = get_processor_as<level>("level");
    (array_decoder::from_samples(test::sine(440, 8000, 16000), 8000, 1) | lv).run();
    REQUIRE(lv->results().size() == 2);
    const auto& r = lv->result("level.rms");
    CHECK(r.id.name == "Level Analyzer RMS");
    CHECK(r.id.unit == "dBFS");
    CHECK(r.id.author == "TimeSide");
    CHECK(r.tmode == time_mode::global);
    CHECK(r.audio.duration == Approx(2.0));
    CHECK(r.audio.channels == 1);
    CHECK(lv->result("level.max").id.proc_uuid == r.id.proc_uuid);
}

TEST_CASE("per-block events carry the block's own levels and stream position", "[analyzers][level]") {
    auto lv = get_processor_as<level>("level");
    std::vector<analysis_event> events;
    lv->set_event_sink([&](const analysis_event& e) { events.push_back(e); });
    // First block loud, second quiet.
    std::vector<float> s(2000, 0.5f);
    std::fill(s.begin() + 1000, s.end(), 0.05f);
    (array_decoder::from_samples(s, 1000, 1, 1000) | lv).run();
    REQUIRE(events.size() == 4);
    CHECK(events[0].result_id == "level.max");
    CHECK(events[0].values[0] == Approx(20 * std::log10(0.5)));
    CHECK(events[2].frame == 1000);
    CHECK(events[2].time() == Approx(1.0));
    CHECK(events[3].result_id == "level.rms");
    CHECK(events[3].values[0] == Approx(20 * std::log10(0.05)).margin(1e-4));
}
