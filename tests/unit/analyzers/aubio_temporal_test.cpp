// aubio_temporal against `aubioonset -O <method> -B 512 -H 256` and `aubiotrack` run on the same
// WAV file, its tempo against a generated 120 BPM click track, and TimeSide's onset-rate segments.
#include <catch2/catch.hpp>

#include "analyzers/aubio_temporal.hpp"
#include "aubio_test_support.hpp"
#include "decoders/signals.hpp"

using namespace timeside;
namespace at = timeside::test::aubio_tools;

namespace {
constexpr double onset_hop_s = 256.0 / 44100, tempo_hop_s = 512.0 / 44100;

// Every time in `ours` within `tolerance` of the same-ranked time in `tool`; the largest gap.
double worst_gap(const std::vector<double>& ours, const std::vector<double>& tool) {
    REQUIRE(ours.size() == tool.size());
    double worst = 0;
    for (size_t i = 0; i < ours.size(); ++i) worst = std::max(worst, std::fabs(ours[i] - tool[i]));
    return worst;
}
}  // namespace

TEST_CASE("aubio_temporal: onsets are aubioonset's for every method", "[analyzers][aubio]") {
    if (!at::available("aubioonset")) {
        WARN("aubioonset not installed: comparison skipped");
        return;
    }
    test::temp_dir dir;
    auto file = at::write_mono(dir, "notes.wav", at::notes());
    for (const char* method : {"hfc", "energy", "complex", "phase", "specdiff", "kl", "mkl", "specflux"}) {
        auto a = at::run_file<aubio_temporal>("aubio_temporal", file, {{"onset_method", std::string(method)}});
        const auto& ours = a->result("aubio_temporal.onset").data.time;
        const auto tool = at::times_of(std::string("aubioonset -i '") + file.string() + "' -O " + method + " -B 512 -H 256");
        CAPTURE(method, ours.size(), tool.size());
        CHECK(ours.size() >= 20);  // the material has 29 notes: a meaningful comparison
        const double gap = worst_gap(ours, tool);
        CAPTURE(gap);
        CHECK(gap < onset_hop_s);
        CHECK(gap < 1e-5);  // in fact the same frames: only the tool's 6-decimal printing differs
    }
}

TEST_CASE("aubio_temporal: a 120 BPM click track reads 120 BPM, beats as aubiotrack's", "[analyzers][aubio]") {
    test::temp_dir dir;
    auto file = at::write_mono(dir, "clicks.wav", at::click_track(120, 20));
    auto a = at::run_file<aubio_temporal>("aubio_temporal", file);
    const auto& bpm = a->result("aubio_temporal.bpm");
    CHECK(bpm.tmode == time_mode::global);
    CHECK(bpm.id.unit == "bpm");
    REQUIRE(bpm.data.value.size() == 1);
    CAPTURE(bpm.data.value[0]);
    CHECK(std::fabs(bpm.data.value[0] - 120.0) < 1.0);
    const auto& beats = a->result("aubio_temporal.beat").data.time;
    CHECK(beats.size() >= 5);
    for (double t : beats) CHECK(std::fabs(t - 0.5 * std::round(t / 0.5)) < tempo_hop_s);  // on the clicks
    CHECK(a->result("aubio_temporal.beat_confidence").data.time == beats);
    if (at::available("aubiotrack")) {
        const auto tool = at::times_of("aubiotrack -i '" + file.string() + "' -B 1024 -H 512");
        const double gap = worst_gap(beats, tool);
        CAPTURE(gap);
        CHECK(gap < 1e-5);
    }

    // With a faint noise floor aubio keeps every beat (it drops beats in digital silence).
    auto clicks = at::click_track(120, 20);
    auto noise = at::full_scale_noise(clicks.size());
    for (size_t i = 0; i < clicks.size(); ++i) clicks[i] += 0.001f * noise[i];
    auto b = at::run_samples<aubio_temporal>("aubio_temporal", clicks);
    CAPTURE(b->result("aubio_temporal.bpm").data.value[0]);
    CHECK(std::fabs(b->result("aubio_temporal.bpm").data.value[0] - 120.0) < 1.0);
    CHECK(b->result("aubio_temporal.beat").data.time.size() >= 35);
}

TEST_CASE("aubio_temporal: onset-rate segments run from onset to onset, as TimeSide's", "[analyzers][aubio]") {
    auto a = at::run_samples<aubio_temporal>("aubio_temporal", signals::c4_scale(44100));
    const auto& onsets = a->result("aubio_temporal.onset");
    CHECK(onsets.dmode == data_mode::label);
    CHECK(onsets.tmode == time_mode::event);
    CHECK(onsets.labels.label.at(1) == "Onset");
    const auto& t = onsets.data.time;
    REQUIRE(t.size() == 8);  // one per note
    for (size_t n = 0; n < t.size(); ++n) CHECK(std::fabs(t[n] - 1.2 * n) < 2 * onset_hop_s);
    const auto& rate = a->result("aubio_temporal.onset_rate");
    CHECK(rate.tmode == time_mode::segment);
    CHECK(rate.id.unit == "bpm");
    REQUIRE(rate.data.value.size() == t.size());
    for (size_t n = 0; n + 1 < t.size(); ++n) {
        CHECK(rate.data.time[n] == t[n]);
        CHECK(rate.data.duration[n] == Approx(t[n + 1] - t[n]));
        CHECK(rate.data.value[n] == Approx(60.0 / (t[n + 1] - t[n])));
    }
    CHECK(rate.data.duration.back() == rate.data.duration[t.size() - 2]);  // the last period repeated
}

TEST_CASE("aubio_temporal: onsets, rates and beats are emitted as they are found", "[analyzers][aubio]") {
    auto a = get_processor_as<aubio_temporal>("aubio_temporal");
    std::vector<analysis_event> events;
    a->set_event_sink([&](const analysis_event& e) { events.push_back(e); });
    (array_decoder::from_samples(at::notes(), 44100, 1, 4096) | a).run();
    auto count = [&](const std::string& id) {
        return std::count_if(events.begin(), events.end(), [&](const analysis_event& e) { return e.result_id == id; });
    };
    const auto& onsets = a->result("aubio_temporal.onset").data.time;
    CHECK(count("aubio_temporal.onset") == static_cast<long>(onsets.size()));
    CHECK(count("aubio_temporal.onset_rate") == static_cast<long>(onsets.size()));
    const auto beats = static_cast<long>(a->result("aubio_temporal.beat").data.time.size());
    CHECK(beats > 0);
    CHECK(count("aubio_temporal.beat") == beats);
    CHECK(count("aubio_temporal.beat_confidence") == beats);
    CHECK(count("aubio_temporal.bpm") == beats);  // the tracker's running estimate
    auto first = std::find_if(events.begin(), events.end(), [](const auto& e) { return e.result_id == "aubio_temporal.onset"; });
    REQUIRE(first != events.end());
    CHECK(first->label == 1);
    CHECK(first->time() == Approx(onsets[0]));
}

TEST_CASE("aubio_temporal: bad methods and sizes are usage errors naming the valid values", "[analyzers][aubio]") {
    auto message = [](const raw_parameters& p) {
        try {
            get_processor("aubio_temporal", p);
        } catch (const usage_error& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    CHECK_THAT(message({{"onset_method", std::string("superflux")}}),
               Catch::Contains("onset_method") && Catch::Contains("hfc") && Catch::Contains("specflux"));
    CHECK_THAT(message({{"onset_buffer_size", std::string("500")}}),
               Catch::Contains("onset_buffer_size") && Catch::Contains("512"));
    CHECK_THAT(message({{"onset_hop_size", std::string("1024")}}),
               Catch::Contains("onset_hop_size=1024") && Catch::Contains("from 1 to 512"));
    CHECK_THAT(message({{"tempo_hop_size", std::string("2048")}}), Catch::Contains("tempo_hop_size"));
    CHECK(message({{"tempo_method", std::string("hfc")}, {"onset_buffer_size", std::string("1024")}}) == "accepted");
}

TEST_CASE("aubio_temporal: silence, a constant and full-scale noise give finite results", "[analyzers][aubio]") {
    const std::vector<std::vector<float>> inputs{std::vector<float>(5 * 44100, 0.0f),
                                                 std::vector<float>(5 * 44100, 0.5f), at::full_scale_noise(5 * 44100),
                                                 std::vector<float>(100, 0.2f)};
    for (size_t k = 0; k < inputs.size(); ++k) {
        auto a = at::run_samples<aubio_temporal>("aubio_temporal", inputs[k]);
        CAPTURE(k);
        for (const auto& r : a->results()) {
            for (double v : r.data.value) CHECK(std::isfinite(v));
            for (double v : r.data.time) CHECK(std::isfinite(v));
        }
        if (k == 0) {
            CHECK(a->result("aubio_temporal.onset").data.time.empty());
            CHECK(a->result("aubio_temporal.beat").data.time.empty());
            CHECK(a->result("aubio_temporal.bpm").data.value == std::vector<double>{0.0});
        }
    }
}
