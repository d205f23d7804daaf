// chunk_queue: buffers of any size become chunks of exactly the asked size, in order, with the
// timestamp of their first frame; gaps start a new chunk; the queue is bounded and stoppable.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "decoders/chunk_queue.hpp"

using namespace timeside;
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
    std::this_thread::sleep_for(50ms);
    CHECK(pushed.load() <= 30);  // two chunks waiting, the third push blocked
    int chunks = 0;
    for (;;) {
        std::vector<float> out;
        int64_t pts;
        auto st = q.pop(out, pts, 1000ms);
        if (st == chunk_queue::status::end) break;
        ++chunks;
    }
    producer.join();
    CHECK(chunks == 10);
}

TEST_CASE("stop releases a blocked producer and refuses later pushes", "[decoders][chunks]") {
    chunk_queue q(2, 1000, 10, 1);
    std::atomic<bool> returned{false}, result{true};
    std::thread producer([&] {
        push_ramp(q, 0, 10);
        result = push_ramp(q, 10, 10);  // blocks: one chunk already waiting
        returned = true;
    });
    std::this_thread::sleep_for(30ms);
    CHECK_FALSE(returned.load());
    q.stop();
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
