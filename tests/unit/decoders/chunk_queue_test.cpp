// chunk_queue: buffers of any size become chunks of exactly the asked size, in order, with the
// timestamp of their first frame; gaps start a new chunk; the queue is bounded and stoppable.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "../test_support.hpp"
#include "decoders/chunk_queue.hpp"

using namespace timeside;
using timeside::test::eventually;
using namespace std::chrono_literals;

namespace {
constexpr int64_t ns = 1000000000;

// Pushes frames [first, first + n) of a ramp (one value per frame, 2 channels) at 1000 Hz.
bool push_ramp(chunk_queue& q, int64_t first, int64_t n) {
    std::vector<float> s;
    for (int64_t i = first; i < first + n; ++i) { s.push_back(static_cast<float>(i)); s.push_back(-static_cast<float>(i)); }
    return q.push(s.data(), n, first * ns / 1000);
}
}  // namespace

TEST_CASE("buffers of any size come out as exact chunks with their first frame's time", "[decoders][chunks]") {
    chunk_queue q(2, 1000, 100, 64);
    int64_t pos = 0;
    for (int64_t n : {37, 1, 150, 99, 13, 200}) { REQUIRE(push_ramp(q, pos, n)); pos += n; }
    q.finish();
    std::vector<int64_t> sizes, times;
    std::vector<float> all;
    for (;;) {
        std::vector<float> out;
        int64_t pts = -2;
        auto st = q.pop(out, pts, 100ms);
        if (st == chunk_queue::status::end) break;
        REQUIRE(st == chunk_queue::status::chunk);
        sizes.push_back(static_cast<int64_t>(out.size()) / 2);
        times.push_back(pts);
        all.insert(all.end(), out.begin(), out.end());
    }
    CHECK(sizes == std::vector<int64_t>{100, 100, 100, 100, 100});
    CHECK(times == std::vector<int64_t>{0, 100 * ns / 1000, 200 * ns / 1000, 300 * ns / 1000, 400 * ns / 1000});
    REQUIRE(all.size() == 1000);
    for (size_t i = 0; i < 500; ++i) REQUIRE(all[2 * i] == static_cast<float>(i));
}

TEST_CASE("a timestamp gap ends the chunk so times stay true", "[decoders][chunks]") {
    chunk_queue q(2, 1000, 100, 64);
    push_ramp(q, 0, 30);
    push_ramp(q, 500, 30);  // a 470-frame hole
    q.finish();
    std::vector<float> a, b;
    int64_t ta = -2, tb = -2;
    REQUIRE(q.pop(a, ta, 100ms) == chunk_queue::status::chunk);
    REQUIRE(q.pop(b, tb, 100ms) == chunk_queue::status::chunk);
    CHECK(a.size() == 60);
    CHECK(ta == 0);
    CHECK(tb == 500 * ns / 1000);
    CHECK(b[0] == 500.0f);
}

TEST_CASE("a full queue holds the producer back until the reader drains it", "[decoders][chunks]") {
    chunk_queue q(2, 1000, 10, 2);
    std::atomic<int64_t> pushed{0};
    std::thread producer([&] {
        for (int64_t i = 0; i < 100; i += 10) {
            push_ramp(q, i, 10);
            pushed = i + 10;
        }
        q.finish();
    });
    // Two chunks fill the queue; the third push waits. Seen first as the producer getting that
    // far, then as it getting no further while nobody reads (unbounded, it ends in microseconds).
    CHECK(eventually([&] { return pushed.load() >= 20; }, 5s));
    CHECK_FALSE(eventually([&] { return pushed.load() > 20; }, 200ms));
    CHECK(pushed.load() == 20);
    int chunks = 0;
    std::vector<float> all;
    for (int i = 0; i < 100; ++i) {
        std::vector<float> out;
        int64_t pts;
        auto st = q.pop(out, pts, 1000ms);
        if (st == chunk_queue::status::end) break;
        REQUIRE(st == chunk_queue::status::chunk);
        ++chunks;
        all.insert(all.end(), out.begin(), out.end());
    }
    producer.join();
    CHECK(chunks == 10);
    REQUIRE(all.size() == 200);
    for (size_t i = 0; i < 100; ++i) REQUIRE(all[2 * i] == static_cast<float>(i));  // nothing lost or reordered
}

TEST_CASE("stop releases a blocked producer and refuses later pushes", "[decoders][chunks]") {
    chunk_queue q(2, 1000, 10, 1);
    std::atomic<bool> first_done{false}, returned{false}, result{true};
    std::thread producer([&] {
        first_done = push_ramp(q, 0, 10);
        result = push_ramp(q, 10, 10);  // blocks: one chunk already waiting
        returned = true;
    });
    CHECK(eventually([&] { return first_done.load(); }, 5s));
    CHECK_FALSE(eventually([&] { return returned.load(); }, 200ms));  // held in the second push
    q.stop();
    CHECK(eventually([&] { return returned.load(); }, 5s));  // stop() released it
    producer.join();
    CHECK_FALSE(result.load());
    CHECK_FALSE(push_ramp(q, 20, 10));
}

TEST_CASE("pop reports waiting when nothing arrives in time", "[decoders][chunks]") {
    chunk_queue q(1, 1000, 10);
    std::vector<float> out;
    int64_t pts;
    CHECK(q.pop(out, pts, 10ms) == chunk_queue::status::waiting);
}
