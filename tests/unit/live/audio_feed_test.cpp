// audio_feed: a reader that stops reading holds at most its maximum (the oldest blocks dropped and
// counted, exactly), and what it reads afterwards is the newest audio, in order.
#include <catch2/catch.hpp>

#include <vector>

#include "server/live/audio_feed.hpp"

using namespace timeside;
using namespace timeside::server::live;

namespace {

// A block of `frames` frames at `position` whose first channel's sample is its frame index (the
// others 0).
block_ptr numbered_block(int64_t position, int64_t frames, int channels = 2) {
    std::vector<float> s;
    for (int64_t f = 0; f < frames; ++f)
        for (int c = 0; c < channels; ++c) s.push_back(c == 0 ? static_cast<float>(position + f) : 0.0f);
    return block::make(audio_format{1000, channels}, position, std::move(s));
}

}  // namespace

TEST_CASE("audio_feed reader: a reader that does not read keeps its maximum and counts what it dropped",
          "[live][audio_feed]") {
    audio_feed feed(audio_format{1000, 2});
    auto reader = feed.subscribe(1.0);  // 1,000 frames
    // 3,000 frames in blocks of 100, none read.
    for (int64_t p = 0; p < 3000; p += 100) feed.publish(numbered_block(p, 100));
    // Whole blocks go while the rest still holds the maximum: 1,000 frames kept, 2,000 dropped.
    CHECK(reader->dropped_frames() == 2000);
    std::vector<float> out;
    REQUIRE(reader->read(out, 5000, 2) == live_input::status::data);
    REQUIRE(out.size() == 2 * 1000);
    for (int64_t f = 0; f < 1000; ++f) REQUIRE(out[static_cast<size_t>(2 * f)] == static_cast<float>(2000 + f));
    // Read as they come: nothing more is dropped.
    for (int64_t p = 3000; p < 6000; p += 100) {
        feed.publish(numbered_block(p, 100));
        out.clear();
        reader->read(out, 5000, 2);
    }
    CHECK(reader->dropped_frames() == 2000);
}

TEST_CASE("audio_feed reader: a part-read block dropped counts only its unread frames", "[live][audio_feed]") {
    audio_feed feed(audio_format{1000, 1});
    auto reader = feed.subscribe(0.5);  // 500 frames
    for (int64_t p = 0; p < 400; p += 200) feed.publish(numbered_block(p, 200, 1));
    std::vector<float> out;
    REQUIRE(reader->read(out, 150, 1) == live_input::status::data);  // 50 of the first block left
    for (int64_t p = 400; p < 800; p += 200) feed.publish(numbered_block(p, 200, 1));
    // Held: 50 + 200 + 200 + 200 = 650 > 500: the first block's 50 unread frames go.
    CHECK(reader->dropped_frames() == 50);
    out.clear();
    REQUIRE(reader->read(out, 1000, 1) == live_input::status::data);
    REQUIRE(out.size() == 600);
    CHECK(out.front() == 200.0f);
    CHECK(out.back() == 799.0f);
}
