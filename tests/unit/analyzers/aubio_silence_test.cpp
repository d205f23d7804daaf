// aubio_silence: the seven gaps of the C4 scale found within a block, labels and segments in
// TimeSide's shape, segments emitted as they close, the threshold honoured, no gaps or overlaps.
#include <catch2/catch.hpp>

#include "analyzers/aubio_silence.hpp"
#include "aubio_test_support.hpp"
#include "decoders/signals.hpp"

using namespace timeside;
namespace at = timeside::test::aubio_tools;

namespace {
// Segments tile the stream: each starts where the previous ended, the last ends at the end.
void check_tiling(const analyzer_result& r, double duration) {
    REQUIRE(!r.data.time.empty());
    REQUIRE(r.data.time.size() == r.data.duration.size());
    REQUIRE(r.data.time.size() == r.data.label.size());
    CHECK(r.data.time[0] == 0.0);
    for (size_t i = 1; i < r.data.time.size(); ++i) {
        CHECK(r.data.time[i] == Approx(r.data.time[i - 1] + r.data.duration[i - 1]));
        CHECK(r.data.label[i] != r.data.label[i - 1]);  // merged: labels alternate
    }
    CHECK(r.data.time.back() + r.data.duration.back() == Approx(duration));
}
}  // namespace

TEST_CASE("aubio_silence: the C4 scale's seven gaps are found within a block", "[analyzers][aubio]") {
    test::temp_dir dir;
    auto file = at::write_mono(dir, "C4_scale.wav", signals::c4_scale(44100));
    auto a = get_processor_as<aubio_silence>("aubio_silence");
    std::vector<analysis_event> events;
    a->set_event_sink([&](const analysis_event& e) { events.push_back(e); });
    (get_processor("file_decoder", {{"uri", file.string()}}) | a).run();
    const auto& r = a->result("aubio_silence");
    CHECK(r.dmode == data_mode::label);
    CHECK(r.tmode == time_mode::segment);
    CHECK(r.labels.label.at(0) == "Silence");
    CHECK(r.labels.label.at(1) == "Not Silence");
    check_tiling(r, 9.4);
    REQUIRE(r.data.label.size() == 15);  // 8 notes, 7 gaps
    const double block = 1024.0 / 44100;
    double worst = 0;
    for (size_t g = 0; g < 7; ++g) {
        const size_t i = 2 * g + 1;
        CHECK(r.data.label[i] == aubio_silence::silence_label);
        CHECK(r.data.label[i - 1] == aubio_silence::sound_label);
        const double start = 1.0 + 1.2 * g, end = start + 0.2;
        worst = std::max({worst, std::fabs(r.data.time[i] - start), std::fabs(r.data.time[i] + r.data.duration[i] - end)});
    }
    CAPTURE(worst);
    CHECK(worst < block);
    REQUIRE(events.size() == r.data.label.size());
    for (size_t i = 0; i < events.size(); ++i) {
        CHECK(events[i].label == r.data.label[i]);
        CHECK(events[i].time() == Approx(r.data.time[i]));
        CHECK(static_cast<double>(events[i].duration_frames) / 44100 == Approx(r.data.duration[i]));
    }
}

TEST_CASE("aubio_silence: silence, noise and the threshold", "[analyzers][aubio]") {
    auto silent = at::run_samples<aubio_silence>("aubio_silence", std::vector<float>(30000, 0.0f));
    const auto& s = silent->result("aubio_silence");
    REQUIRE(s.data.label == std::vector<int>{aubio_silence::silence_label});
    CHECK(s.data.duration[0] == Approx(30000.0 / 44100));

    auto noisy = at::run_samples<aubio_silence>("aubio_silence", at::full_scale_noise(30000));
    CHECK(noisy->result("aubio_silence").data.label == std::vector<int>{aubio_silence::sound_label});

    // A -40 dB tone (RMS about -43 dB) is sound at -70 dB and silence at -30 dB.
    auto quiet = signals::sine(440, 1.0, 44100, 0.01);
    CHECK(at::run_samples<aubio_silence>("aubio_silence", quiet)->result("aubio_silence").data.label ==
          std::vector<int>{aubio_silence::sound_label});
    auto strict = at::run_samples<aubio_silence>("aubio_silence", quiet, 1, {{"threshold", std::string("-30")}});
    CHECK(strict->result("aubio_silence").data.label == std::vector<int>{aubio_silence::silence_label});

    // A stereo stream is judged on its mono mix; a custom block size tiles the stream too.
    auto stereo = at::run_samples<aubio_silence>("aubio_silence", signals::repeat_channels(signals::c4_scale(22050), 2), 2,
                                                 {{"buffer_size", std::string("500")}}, 22050);
    check_tiling(stereo->result("aubio_silence"), 9.4);
    CHECK(stereo->result("aubio_silence").data.label.size() == 15);
    CHECK_THROWS_AS(get_processor("aubio_silence", {{"threshold", std::string("3")}}), usage_error);
    CHECK_THROWS_AS(get_processor("aubio_silence", {{"buffer_size", std::string("0")}}), usage_error);
}
