// input_buffer: the ring between an input's decoding thread and the mount's clock keeps every
// sample in order across its wrap, holds the producer back when full, and times titles by frame.
#include <catch2/catch.hpp>

#include <atomic>
#include <numeric>
#include <thread>
#include <vector>

#include "server/live/input_buffer.hpp"
#include "../test_support.hpp"

using namespace timeside::server::live;
using namespace std::chrono_literals;

TEST_CASE("input_buffer: samples come out in order across many wraps of the ring", "[live][input_buffer]") {
    input_buffer b(2, 100);  // 100 frames: writes of 70 and reads of 33 wrap at every place
    std::vector<float> source(2 * 7000);
    std::iota(source.begin(), source.end(), 0.0f);
    std::vector<float> got, piece;
    size_t written = 0;
    while (got.size() < source.size()) {
        if (written < source.size() && b.buffered_frames() <= 30) {
            REQUIRE(b.write(source.data() + written, 70));
            written += 140;
        }
        piece.clear();
        REQUIRE(b.read(piece, 33, 0ms) == timeside::server::live::live_input::status::data);
        CHECK(piece.size() <= 66);
        got.insert(got.end(), piece.begin(), piece.end());
    }
    CHECK(got == source);
    CHECK(b.buffered_frames() == 0);
}

TEST_CASE("input_buffer: a full ring holds the producer until the reader makes room", "[live][input_buffer]") {
    input_buffer b(1, 50);
    std::vector<float> block(80, 1.0f);
    std::atomic<bool> returned{false};
    std::thread producer([&] {
        b.write(block.data(), 80);
        returned = true;
    });
    REQUIRE(timeside::test::eventually([&] { return b.buffered_frames() == 50; }));
    CHECK_FALSE(timeside::test::eventually([&] { return returned.load(); }, 100ms));  // 30 frames still to go
    std::vector<float> out;
    REQUIRE(b.read(out, 40, 0ms) == live_input::status::data);
    REQUIRE(timeside::test::eventually([&] { return returned.load(); }));
    producer.join();
    CHECK(b.buffered_frames() == 40);  // 50 - 40 + 30
    b.close();
    CHECK_FALSE(b.write(block.data(), 1));  // refused once closed
}

TEST_CASE("input_buffer: a producer held by a full ring resumes once a quarter of it is free, not at every read",
          "[live][input_buffer]") {
    input_buffer b(2, 400);  // a quarter: 100 frames
    std::vector<float> block(2 * 600, 1.0f);
    std::atomic<bool> returned{false};
    std::thread producer([&] {
        b.write(block.data(), 600);
        returned = true;
    });
    REQUIRE(timeside::test::eventually([&] { return b.buffered_frames() == 400; }));
    std::vector<float> out;
    for (int i = 0; i < 3; ++i) REQUIRE(b.read(out, 30, 0ms) == live_input::status::data);  // 90 free
    // The producer is still held: had it woken, 90 frames would have gone in.
    CHECK_FALSE(timeside::test::eventually([&] { return b.buffered_frames() != 310; }, 100ms));
    REQUIRE(b.read(out, 10, 0ms) == live_input::status::data);  // 100 free: a quarter
    REQUIRE(timeside::test::eventually([&] { return b.buffered_frames() == 400; }));
    CHECK_FALSE(returned.load());  // 100 of its 200 remaining frames went in
    REQUIRE(b.read(out, 100, 0ms) == live_input::status::data);
    REQUIRE(timeside::test::eventually([&] { return returned.load(); }));
    producer.join();
    CHECK(b.buffered_frames() == 400);
    CHECK(out.size() == 2 * 200);
}

TEST_CASE("input_buffer: a title takes effect when the reader reaches its frame; the end comes after the audio",
          "[live][input_buffer]") {
    input_buffer b(2, 1000);
    std::vector<float> ten(20, 0.5f), out;
    b.write(ten.data(), 10);
    b.mark_title("B");
    b.write(ten.data(), 10);
    b.finish(live_input::status::failed, "source lost");
    REQUIRE(b.read(out, 10, 0ms) == live_input::status::data);
    CHECK_FALSE(b.take_title());  // frames 0..9 are still before B
    REQUIRE(b.read(out, 1, 0ms) == live_input::status::data);
    CHECK(b.take_title() == std::optional<std::string>("B"));
    REQUIRE(b.read(out, 100, 0ms) == live_input::status::data);
    CHECK(out.size() == 40);
    CHECK(b.read(out, 100, 0ms) == live_input::status::failed);
    CHECK(b.error() == "source lost");
}
