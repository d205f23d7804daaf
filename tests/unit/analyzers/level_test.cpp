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
    REQUIRE(lv->results().size() == 4);  // TimeSide's two, and the per-channel two
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
    REQUIRE(events.size() == 8);  // per block: level.max, level.rms, and the per-channel two
    CHECK(events[0].result_id == "level.max");
    CHECK(events[0].values[0] == Approx(20 * std::log10(0.5)));
    CHECK(events[4].frame == 1000);
    CHECK(events[4].time() == Approx(1.0));
    CHECK(events[5].result_id == "level.rms");
    CHECK(events[5].values[0] == Approx(20 * std::log10(0.05)).margin(1e-4));
}

namespace {
// Left a square wave of ±0.5 (peak and RMS 0.5), right alternating 0.1, -0.2 (peak 0.2, RMS
// √((0.01 + 0.04) / 2)), `frames` frames; a third channel, when asked, a constant -0.05.
std::vector<float> two_levels(int frames, int channels) {
    std::vector<float> s;
    for (int i = 0; i < frames; ++i) {
        s.push_back(i % 2 ? -0.5f : 0.5f);
        s.push_back(i % 2 ? -0.2f : 0.1f);
        if (channels == 3) s.push_back(-0.05f);
    }
    return s;
}
double db(double x) { return 20 * std::log10(x); }
}  // namespace

TEST_CASE("per-channel results hold each channel's own peak and RMS, in channel order", "[analyzers][level]") {
    // 2 channels take the eight-lane path, 3 the frame-by-frame one; block sizes cut the pattern anywhere.
    for (int channels : {2, 3})
        for (int bs : {1, 7, 1000, 8192}) {
            auto lv = get_processor_as<level>("level");
            (array_decoder::from_samples(two_levels(10001, channels), 44100, channels, bs) | lv).run();
            const auto& peak = lv->result("level.channel_max");
            const auto& rms = lv->result("level.channel_rms");
            REQUIRE(peak.data.value.size() == static_cast<size_t>(channels));
            REQUIRE(rms.data.value.size() == static_cast<size_t>(channels));
            CHECK(peak.data.value[0] == Approx(db(0.5)).margin(1e-5));
            CHECK(peak.data.value[1] == Approx(db(0.2)).margin(1e-5));
            CHECK(rms.data.value[0] == Approx(db(0.5)).margin(1e-5));
            // 10001 frames: 5001 of 0.1, 5000 of -0.2.
            CHECK(rms.data.value[1] == Approx(db(std::sqrt((5001 * 0.01 + 5000 * 0.04) / 10001))).margin(1e-5));
            if (channels == 3) {
                CHECK(peak.data.value[2] == Approx(db(0.05)).margin(1e-5));
                CHECK(rms.data.value[2] == Approx(db(0.05)).margin(1e-5));
            }
            // The overall values are still every sample's together (sox's Overall column).
            double sum = 10001 * 0.25 + 5001 * 0.01 + 5000 * 0.04 + (channels == 3 ? 10001 * 0.0025 : 0);
            CHECK(lv->result("level.max").data.value.at(0) == Approx(db(0.5)).margin(1e-5));
            CHECK(lv->result("level.rms").data.value.at(0) == Approx(db(std::sqrt(sum / (10001.0 * channels)))).margin(1e-5));
            CHECK(peak.tmode == time_mode::global);
            CHECK(peak.id.name == "Level Analyzer Channel Max");
            CHECK(rms.value_axis == "channel");
            CHECK(peak.interval_aggregate == aggregation::max);
            CHECK(rms.interval_aggregate == aggregation::power_mean);
            CHECK(lv->result("level.rms").interval_aggregate == aggregation::power_mean);
        }
}

TEST_CASE("per-block events carry each channel's levels of the block", "[analyzers][level]") {
    auto lv = get_processor_as<level>("level");
    std::vector<analysis_event> events;
    lv->set_event_sink([&](const analysis_event& e) { events.push_back(e); });
    // Block 0: the two levels; block 1: left silent, right 0.8 constant.
    auto s = two_levels(1000, 2);
    for (int i = 0; i < 1000; ++i) { s.push_back(0.0f); s.push_back(0.8f); }
    (array_decoder::from_samples(s, 1000, 2, 1000) | lv).run();
    REQUIRE(events.size() == 8);  // max, rms, channel_max, channel_rms per block
    CHECK(events[2].result_id == "level.channel_max");
    CHECK(events[2].frame == 0);
    CHECK(events[2].duration_frames == 1000);
    REQUIRE(events[2].values.size() == 2);
    CHECK(events[2].values[0] == Approx(db(0.5)).margin(1e-5));
    CHECK(events[2].values[1] == Approx(db(0.2)).margin(1e-5));
    CHECK(events[3].result_id == "level.channel_rms");
    CHECK(events[3].values[0] == Approx(db(0.5)).margin(1e-5));
    CHECK(events[3].values[1] == Approx(db(std::sqrt(0.025))).margin(1e-5));
    CHECK(events[6].frame == 1000);
    CHECK(events[6].values[0] == level::floor_db);
    CHECK(events[6].values[1] == Approx(db(0.8)).margin(1e-5));
    CHECK(events[7].values[0] == level::floor_db);
    CHECK(events[7].values[1] == Approx(db(0.8)).margin(1e-5));
    // The block's overall values: every sample of both channels.
    CHECK(events[5].result_id == "level.rms");
    CHECK(events[5].values[0] == Approx(db(std::sqrt(0.64 / 2))).margin(1e-5));
}

namespace {
// A framewise analyzer for the base class's row handling: one row per 100-frame window (its mean).
const processor_info window_mean_info{"window_mean", "Window mean", "1.0", "test", "", processor_kind::analyzer, {}};
class window_mean : public analyzer {
public:
    window_mean() : analyzer(window_mean_info, {}) {}

protected:
    void on_setup(const stream_info&) override { r_ = &new_framewise_result("", "", 0, 100, 100); }
    void on_process(const block_ptr& b) override {
        for (int64_t i = 0; i + 100 <= b->frames(); i += 100) {
            double sum = 0;
            for (int64_t k = 0; k < 100; ++k) sum += b->at(i + k, 0);
            const double row[] = {sum / 100};
            append_row(*r_, row);
        }
    }
    void on_finish() override {}

private:
    analyzer_result* r_ = nullptr;
};

struct collecting_rows : row_sink {
    void begin(const analyzer_result& meta) override { begun.push_back(meta.id.id); }
    void append(const std::string& id, std::span<const double> row) override { rows.emplace_back(id, row[0]); }
    std::vector<std::string> begun;
    std::vector<std::pair<std::string, double>> rows;
};
}  // namespace

TEST_CASE("framewise rows go to the result, a row sink and the event sink as they are computed",
          "[analyzers][rows]") {
    std::vector<float> s(1000);
    for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<float>(i / 100);  // window k holds k
    for (bool keep : {true, false}) {
        auto a = std::make_shared<window_mean>();
        auto rows = std::make_shared<collecting_rows>();
        std::vector<analysis_event> events;
        a->set_row_sink(rows, keep);
        a->set_event_sink([&](const analysis_event& e) { events.push_back(e); });
        (array_decoder::from_samples(s, 1000, 1, 500) | a).run();
        const auto& r = a->result("window_mean");
        CHECK(r.appended_rows == 10);
        CHECK(r.rows() == (keep ? 10u : 0u));  // not kept: memory stays flat
        CHECK(rows->begun == std::vector<std::string>{"window_mean"});
        REQUIRE(rows->rows.size() == 10);
        CHECK(rows->rows[7].second == 7.0);
        REQUIRE(events.size() == 10);
        CHECK(events[7].frame == 700);
        CHECK(events[7].time() == Approx(0.7));
        CHECK(r.audio.duration == Approx(1.0));  // stamped at the end, not at setup
        CHECK(r.frames.stepsize == 100);
    }
}
