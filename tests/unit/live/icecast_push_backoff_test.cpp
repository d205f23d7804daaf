// The push's reconnect schedule: 1 s doubling to 60 s, jittered down by at most a quarter, reset
// only after a connection that lasted a minute.
#include <catch2/catch.hpp>

#include "server/live/icecast_push_backoff.hpp"

using namespace timeside::server::live;
using namespace std::chrono_literals;

TEST_CASE("the back-off doubles from 1 s to 60 s", "[push][backoff]") {
    push_backoff b(1s, 60s, 60s, [] { return 0.0; });
    std::vector<int64_t> got;
    for (int i = 0; i < 9; ++i) got.push_back(b.next().count());
    CHECK(got == std::vector<int64_t>{1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000});
}

TEST_CASE("the jitter takes at most a quarter off", "[push][backoff]") {
    push_backoff half(1s, 60s, 60s, [] { return 0.5; });
    CHECK(half.next() == 875ms);
    CHECK(half.next() == 1750ms);
    push_backoff most(1s, 60s, 60s, [] { return 0.999999; });
    CHECK(most.next() >= 750ms);
    push_backoff real;  // the random jitter stays within [0.75, 1] of the schedule
    for (int64_t base : {1000, 2000, 4000, 8000}) {
        const auto d = real.next().count();
        CHECK(d <= base);
        CHECK(d >= base * 3 / 4);
    }
}

TEST_CASE("a minute connected resets the back-off, a shorter connection does not", "[push][backoff]") {
    push_backoff b(1s, 60s, 60s, [] { return 0.0; });
    const auto t0 = push_backoff::clock::now();
    b.next();
    b.next();
    CHECK(b.current() == 4s);
    b.connected(t0);
    b.dropped(t0 + 59s);
    CHECK(b.next() == 4s);
    b.connected(t0 + 100s);
    b.dropped(t0 + 160s);
    CHECK(b.next() == 1s);
    CHECK(b.next() == 2s);
}
