// The sink between an encode and its HTTP client: bytes come out in order and whole, the writer
// waits while max_buffered bytes are untaken (backpressure), a cancel wakes and stops it, and the
// session is notified whenever take() would have something new.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "core/errors.hpp"
#include "server/media/stream_sink.hpp"

using namespace timeside;
using namespace timeside::server;
using namespace std::chrono_literals;
using state = http::body_stream::state;

namespace {
std::vector<unsigned char> bytes(size_t n, unsigned char first) {
    std::vector<unsigned char> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = static_cast<unsigned char>(first + i);
    return v;
}
}  // namespace

TEST_CASE("bytes come out whole and in order, then the end", "[server][stream_sink]") {
    media::stream_sink sink(1 << 20);
    std::vector<unsigned char> out;
    std::string error;
    CHECK(sink.take(out, error) == state::pending);
    sink.write(bytes(3, 0), true);
    sink.write(bytes(2, 3), false);
    REQUIRE(sink.take(out, error) == state::data);
    CHECK(out == bytes(5, 0));
    CHECK(sink.take(out, error) == state::pending);
    sink.write(bytes(4, 5), false);
    sink.close();
    REQUIRE(sink.take(out, error) == state::data);  // what is left comes before the end
    CHECK(out == bytes(4, 5));
    CHECK(sink.take(out, error) == state::end);
    CHECK(sink.bytes_written() == 9);
}

TEST_CASE("a failed producer's error reaches the session", "[server][stream_sink]") {
    media::stream_sink sink;
    sink.close("sweep.ogg: not a media file");
    std::vector<unsigned char> out;
    std::string error;
    CHECK(sink.take(out, error) == state::error);
    CHECK(error == "sweep.ogg: not a media file");
}

TEST_CASE("the writer waits while max_buffered bytes are untaken", "[server][stream_sink]") {
    media::stream_sink sink(1000);
    std::atomic<size_t> written{0};
    std::thread producer([&] {
        for (int i = 0; i < 10; ++i) {
            sink.write(bytes(400, 0), false);
            written += 400;
        }
        sink.close();
    });
    std::this_thread::sleep_for(100ms);
    // 400 + 400 + 400 = 1200 >= 1000: the third write got in, the fourth waits.
    CHECK(written == 1200);
    std::vector<unsigned char> out;
    std::string error;
    size_t taken = 0;
    for (;;) {
        auto s = sink.take(out, error);
        if (s == state::end) break;
        if (s == state::data) taken += out.size();
        else std::this_thread::sleep_for(1ms);
    }
    producer.join();
    CHECK(taken == 4000);
}

TEST_CASE("cancel wakes a waiting writer with cancelled_error", "[server][stream_sink]") {
    media::stream_sink sink(100);
    std::atomic<bool> threw{false};
    std::thread producer([&] {
        try {
            for (;;) sink.write(bytes(100, 0), false);
        } catch (const cancelled_error&) {
            threw = true;
        }
    });
    std::this_thread::sleep_for(50ms);
    CHECK_FALSE(threw);
    sink.cancel();
    producer.join();
    CHECK(threw);
    CHECK(sink.cancelled());
}

TEST_CASE("the session is notified when data arrives, at once if some is waiting", "[server][stream_sink]") {
    media::stream_sink sink;
    int calls = 0;
    sink.write(bytes(10, 0), false);
    sink.set_notify([&] { ++calls; });
    CHECK(calls == 1);  // something was already there
    sink.write(bytes(10, 0), false);
    CHECK(calls == 1);  // still untaken: the session has not looked yet, no need to tell it again
    std::vector<unsigned char> out;
    std::string error;
    sink.take(out, error);
    sink.write(bytes(10, 0), false);
    CHECK(calls == 2);  // empty -> data
    sink.take(out, error);
    sink.close();
    CHECK(calls == 3);  // the end
    sink.cancel();
    sink.close();
    CHECK(calls == 3);  // after a cancel nobody listens
}
