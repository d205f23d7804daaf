// Events from an analysis lane that skipped blocks stay in stream time: framewise rows (counted
// over the frames an analyzer saw) and aubio's onsets (counted over the frames it was fed) get
// the skipped frames added back, so a click heard after a gap is stamped where it is.
#include <catch2/catch.hpp>

#include "core/analyzer.hpp"
#include "core/registry.hpp"
#include "server/live/signal_input.hpp"

using namespace timeside;
using namespace timeside::server::live;
using namespace std::chrono_literals;

namespace {
// Blocks of 1024 frames of clicks:120 at 44.1 kHz mono (a click every 22050 frames), with
// blocks [skip_from, skip_to) left out, as a lossy lane would.
std::vector<analysis_event> run_with_gap(const std::string& id, int64_t skip_from, int64_t skip_to, int64_t blocks) {
    auto a = std::dynamic_pointer_cast<analyzer>(get_processor(id));
    std::vector<analysis_event> events;
    a->set_row_sink(nullptr, false);
    a->set_event_sink([&](const analysis_event& e) { events.push_back(e); });
    stream_info in;
    in.format = {44100, 1};
    in.blocksize = 1024;
    a->setup(in);
    signal_input clicks("clicks:120");
    clicks.start({44100, 1});
    for (int64_t i = 0; i < blocks; ++i) {
        std::vector<float> s;
        clicks.read(s, 1024, 0ms);
        if (i >= skip_from && i < skip_to) continue;
        a->process(block::make({44100, 1}, i * 1024, std::move(s)));
    }
    return events;
}
}  // namespace

TEST_CASE("onsets after skipped blocks are stamped at their clicks' stream frames", "[live][analysis]") {
    // 20 blocks (20480 frames, most of a beat) skipped in the second beat.
    const auto events = run_with_gap("aubio_temporal", 30, 50, 44100 * 4 / 1024);
    int after_gap = 0;
    for (const auto& e : events) {
        if (e.result_id != "aubio_temporal.onset") continue;
        // The nearest click: aubio places an onset within a hop or two of it.
        const int64_t beat = (e.frame + 11025) / 22050 * 22050;
        CHECK(std::llabs(e.frame - beat) <= 1024);
        if (e.frame > 50 * 1024) ++after_gap;
    }
    CHECK(after_gap >= 2);  // clicks at 66150, 88200, ... were heard after the gap
}

TEST_CASE("framewise rows after skipped blocks are stamped in stream frames", "[live][analysis]") {
    const auto events = run_with_gap("spectrogram_analyzer", 10, 15, 30);
    std::vector<int64_t> frames;
    for (const auto& e : events) frames.push_back(e.frame);
    REQUIRE(frames.size() > 10);
    // Rows every 1024 frames (the step); across the gap the stamps jump by the 5 blocks skipped.
    int jumps = 0;
    for (size_t i = 1; i < frames.size(); ++i) {
        const int64_t d = frames[i] - frames[i - 1];
        CHECK((d == 1024 || d == 1024 + 5 * 1024));
        jumps += d != 1024;
    }
    CHECK(jumps == 1);
    // The last row's window starts where the frames seen end, in stream time.
    CHECK(frames.back() + 2048 <= 30 * 1024);
    CHECK(frames.back() + 2048 > 30 * 1024 - 1024);
}
