// waveform_analyzer: TimeSide's shape (one row per sample frame, one column per channel, frame
// metadata 1/1) holding exactly the samples it was given, streamed to a row sink as they come.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "../test_support.hpp"
#include "analyzers/waveform_analyzer.hpp"
#include "core/pipe.hpp"
#include "core/registry.hpp"
#include "decoders/array_decoder.hpp"

using namespace timeside;

TEST_CASE("the waveform holds every sample, one row per frame and one column per channel",
          "[analyzers][spectral][waveform]") {
    std::mt19937 rng(2);
    std::uniform_real_distribution<float> u(-1, 1);
    std::vector<float> s(2 * 10007);
    for (auto& x : s) x = u(rng);
    for (int bs : {1, 1000, 8192}) {
        auto w = get_processor_as<waveform_analyzer>("waveform_analyzer");
        (array_decoder::from_samples(s, 8000, 2, bs) | w).run();
        const auto& r = w->result("waveform_analyzer");
        REQUIRE(r.data.width == 2);
        REQUIRE(r.rows() == 10007);
        REQUIRE(r.data.value.size() == s.size());
        for (size_t i = 0; i < s.size(); ++i)
            if (r.data.value[i] != static_cast<double>(s[i])) FAIL("sample " << i);
        CHECK(r.tmode == time_mode::framewise);
        CHECK(r.frames.samplerate == 8000);
        CHECK(r.frames.blocksize == 1);
        CHECK(r.frames.stepsize == 1);
        CHECK(r.time_at(4000) == Approx(0.5));
        CHECK(r.id.name == "Waveform Analyzer");
        CHECK(r.audio.duration == Approx(10007 / 8000.0));
    }
}

TEST_CASE("waveform rows reach a row sink and events, stamped with their frame", "[analyzers][spectral][waveform]") {
    struct rows_seen : row_sink {
        void begin(const analyzer_result& meta) override { width = meta.data.width; }
        void append(const std::string&, std::span<const double> row) override { rows.emplace_back(row.begin(), row.end()); }
        size_t width = 0;
        std::vector<std::vector<double>> rows;
    };
    auto w = get_processor_as<waveform_analyzer>("waveform_analyzer");
    auto sink = std::make_shared<rows_seen>();
    std::vector<analysis_event> events;
    w->set_row_sink(sink, false);
    w->set_event_sink([&](const analysis_event& e) { events.push_back(e); });
    const auto s = test::sine(100, 1000, 300);
    (array_decoder::from_samples(s, 1000, 1, 64) | w).run();
    CHECK(w->result("waveform_analyzer").rows() == 0);
    CHECK(sink->width == 1);
    REQUIRE(sink->rows.size() == 300);
    REQUIRE(events.size() == 300);
    for (size_t i : {0, 1, 63, 64, 299}) {
        CHECK(sink->rows[i] == std::vector<double>{s[i]});
        CHECK(events[i].frame == static_cast<int64_t>(i));
        CHECK(events[i].values.at(0) == s[i]);
    }
}

TEST_CASE("the waveform of silence, a constant or full-scale noise is finite", "[analyzers][spectral][waveform]") {
    std::vector<float> noise(5000);
    std::mt19937 rng(4);
    for (auto& x : noise) x = rng() % 2 ? 1.0f : -1.0f;
    for (const auto& s : {std::vector<float>(5000, 0.0f), std::vector<float>(5000, 1.0f), noise}) {
        auto w = get_processor_as<waveform_analyzer>("waveform_analyzer");
        (array_decoder::from_samples(s, 8000, 1) | w).run();
        for (double x : w->result("waveform_analyzer").data.value) REQUIRE(std::isfinite(x));
    }
}
