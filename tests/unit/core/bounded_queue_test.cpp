// bounded_queue: the pipe's lane queue. Capacity, a full queue holding its producer until the
// consumer has taken half, try_push for live producers that must not wait, close and cancel.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "../test_support.hpp"
#include "core/bounded_queue.hpp"

using namespace timeside;
using namespace std::chrono_literals;

namespace {
}  // namespace

TEST_CASE("try_push takes items up to the capacity, then says full without waiting", "[core][bounded_queue]") {
    bounded_queue<int> q(4);
    for (int i = 0; i < 4; ++i) REQUIRE(q.try_push(i) == bounded_queue<int>::offer::pushed);
    CHECK(q.size() == 4);
    CHECK(q.try_push(99) == bounded_queue<int>::offer::full);
    CHECK(q.size() == 4);
    // The refused item is gone; the others come out in order.
    for (int i = 0; i < 4; ++i) CHECK(q.pop() == i);
    CHECK(q.try_push(5) == bounded_queue<int>::offer::pushed);
    CHECK(q.pop() == 5);
}

TEST_CASE("a push into a full queue waits until the consumer has taken half", "[core][bounded_queue]") {
    bounded_queue<int> q(8);
    for (int i = 0; i < 8; ++i) REQUIRE(q.push(i));
    std::atomic<int> pops{0};
    std::atomic<bool> calling{false}, done{false};
    int pops_when_pushed = -1;
    size_t size_after_push = 0;
    std::thread producer([&] {
        calling = true;
        REQUIRE(q.push(100));
        pops_when_pushed = pops.load();
        size_after_push = q.size();
        done = true;
    });
    // The consumer starts once the producer is calling push() on the full queue, and takes one
    // item every 5 ms, counting each pop before making it. A push that did not wait would
    // return before the first pop (pops_when_pushed 0, nine items queued).
    REQUIRE(test::eventually([&] { return calling.load(); }));
    std::this_thread::sleep_for(20ms);
    for (int i = 0; i < 8 && !done; ++i) {
        pops.fetch_add(1);
        CHECK(q.pop() == i);
        std::this_thread::sleep_for(5ms);
    }
    REQUIRE(test::eventually([&] { return done.load(); }));
    producer.join();
    CHECK(pops_when_pushed >= 4);  // released once at most half (4 of 8) was left
    CHECK(size_after_push <= 5);   // and so never above the capacity
    int last = -1;
    while (q.size() > 0) last = *q.pop();
    CHECK(last == 100);  // behind everything pushed before it
}

TEST_CASE("close lets the consumer drain, then pop says the end; pushes are refused", "[core][bounded_queue]") {
    bounded_queue<int> q(4);
    REQUIRE(q.push(1));
    REQUIRE(q.push(2));
    q.close();
    CHECK_FALSE(q.push(3));
    CHECK(q.try_push(3) == bounded_queue<int>::offer::closed);
    CHECK(q.pop() == 1);
    CHECK(q.pop() == 2);
    CHECK_FALSE(q.pop().has_value());
}

TEST_CASE("close releases a consumer waiting on an empty queue", "[core][bounded_queue]") {
    bounded_queue<int> q(4);
    auto consumer = std::async(std::launch::async, [&] { return q.pop(); });
    q.close();
    REQUIRE(consumer.wait_for(5s) == std::future_status::ready);
    CHECK_FALSE(consumer.get().has_value());
}

TEST_CASE("cancel drops what is queued and releases a producer waiting on a full queue", "[core][bounded_queue]") {
    bounded_queue<int> q(2);
    REQUIRE(q.push(1));
    REQUIRE(q.push(2));
    auto producer = std::async(std::launch::async, [&] { return q.push(3); });
    q.cancel();
    REQUIRE(producer.wait_for(5s) == std::future_status::ready);
    CHECK_FALSE(producer.get());
    CHECK_FALSE(q.pop().has_value());  // the two queued items were dropped
    CHECK(q.size() == 0);
}
