// live_source: blocks on the real-time clock, stream frames that never reset, a pushed source
// taking over and the fallback filling in within a second when it leaves, a failed input's error
// kept, a source too far ahead trimmed (counted), titles passed on.
#include <catch2/catch.hpp>

#include "core/errors.hpp"
#include "live_test_support.hpp"
#include "server/live/file_input.hpp"
#include "server/live/live_source.hpp"
#include "server/live/signal_input.hpp"

using namespace timeside;
using namespace timeside::server::live;
using namespace std::chrono_literals;

namespace {

live_source_options options(int rate = 44100, int channels = 2) {
    live_source_options o;
    o.format = {rate, channels};
    o.block_frames = 1024;
    o.label = "live/test";
    return o;
}

// Reads blocks, checking each one's position continues the previous; stops when `until` says so
// (given the block) or after `max_blocks`.
template <class F>
block_ptr read_until(live_source& s, int64_t& next_position, F&& until, int max_blocks) {
    for (int i = 0; i < max_blocks; ++i) {
        block_ptr b = s.read();
        REQUIRE(b);
        REQUIRE(b->position() == next_position);
        REQUIRE(b->frames() == 1024);
        next_position += b->frames();
        if (until(*b)) return b;
    }
    return nullptr;
}

bool all_equal(const block& b, float v) {
    for (float x : b.samples())
        if (x != v) return false;
    return true;
}

}  // namespace

TEST_CASE("a live source is paced by the real-time clock: 2 s of running gives 2 s of stream", "[live][source]") {
    live_source s(options(), std::make_shared<signal_input>("sine:440"), nullptr);
    const auto info = s.open();
    CHECK(info.total_frames == -1);
    CHECK(info.format == audio_format{44100, 2});
    const auto t0 = std::chrono::steady_clock::now();
    int64_t next = 0;
    read_until(s, next, [&](const block&) { return std::chrono::steady_clock::now() - t0 >= 2s; }, 1000);
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double stream_seconds = static_cast<double>(next) / 44100;
    CHECK(stream_seconds == Approx(elapsed).epsilon(0.05));
    CHECK(stream_seconds == Approx(2.0).epsilon(0.05));
    CHECK(s.status().stream_frames == next);
    CHECK(s.status().filled_frames == 0);  // the signal never ran late
    s.close();
}

TEST_CASE("cancel() releases a read waiting for its due time, and read() then ends", "[live][source]") {
    auto o = options();
    o.block_frames = 44100 * 5;  // the second block is due in 5 s
    live_source s(o, std::make_shared<signal_input>("silence"), nullptr);
    s.open();
    REQUIRE(s.read());
    std::thread canceller([&] {
        std::this_thread::sleep_for(100ms);
        s.cancel();
    });
    const auto t0 = std::chrono::steady_clock::now();
    CHECK_FALSE(s.read());
    CHECK(std::chrono::steady_clock::now() - t0 < 2s);
    canceller.join();
}

TEST_CASE("a pushed source takes over; when it ends the fallback fills in within 1 s; a new one takes over",
          "[live][source]") {
    live_source s(options(), nullptr, nullptr);  // an ingest mount: nothing until a source comes
    s.open();
    int64_t next = 0;
    // No source: silence from the fallback.
    auto b = read_until(s, next, [](const block&) { return true; }, 1);
    CHECK(all_equal(*b, 0.0f));
    CHECK(s.status().fallback_active);

    auto first = std::make_shared<test::scripted_source>(0.25f);
    REQUIRE(s.attach_source(first));
    CHECK(first->started());
    auto second = std::make_shared<test::scripted_source>(0.5f);
    CHECK_FALSE(s.attach_source(second));  // one source at a time: the ingest answers 409
    REQUIRE(read_until(s, next, [](const block& x) { return all_equal(x, 0.25f); }, 100));
    auto st = s.status();
    CHECK(st.source_connected);
    CHECK(st.source == "scripted source");
    CHECK_FALSE(st.fallback_active);

    first->end();
    const auto ended_at = std::chrono::steady_clock::now();
    REQUIRE(read_until(s, next, [](const block& x) { return all_equal(x, 0.0f); }, 100));
    CHECK(std::chrono::steady_clock::now() - ended_at < 1s);
    st = s.status();
    CHECK_FALSE(st.source_connected);
    CHECK(st.fallback_active);
    CHECK(first->stopped());
    CHECK(st.last_error.empty());  // it ended, it did not fail

    REQUIRE(s.attach_source(second));
    const auto attached_at = std::chrono::steady_clock::now();
    REQUIRE(read_until(s, next, [](const block& x) { return all_equal(x, 0.5f); }, 100));
    CHECK(std::chrono::steady_clock::now() - attached_at < 1s);
    st = s.status();
    CHECK(st.source_connects == 2);
    CHECK(st.fallback_switches == 2);  // at the start, then when the first source ended
    CHECK(st.filled_frames > 0);
    CHECK(st.filled_frames < next);
    CHECK(st.stream_frames == next);
    s.close();
    CHECK(second->stopped());
}

TEST_CASE("a source that fails is detached, its error kept, and the fallback plays", "[live][source]") {
    live_source s(options(), nullptr, std::make_shared<signal_input>("sine:440"));
    s.open();
    int64_t next = 0;
    auto src = std::make_shared<test::scripted_source>(0.25f);
    REQUIRE(s.attach_source(src));
    REQUIRE(read_until(s, next, [](const block& x) { return all_equal(x, 0.25f); }, 100));
    src->fail();
    // The fallback is the sine: blocks that are not the source's constant.
    auto b = read_until(s, next, [](const block& x) { return x.at(100, 0) != 0.25f && x.at(1000, 0) != 0.25f; }, 100);
    REQUIRE(b);
    CHECK(test::rms_db(b->samples().data(), b->samples().size()) == Approx(-9.03).margin(0.3));
    const auto st = s.status();
    CHECK_FALSE(st.source_connected);
    CHECK(st.last_error == "scripted source: broke on purpose");
    s.close();
}

TEST_CASE("an input that cannot be played: the fallback plays and its error shows", "[live][source]") {
    live_source s(options(), std::make_shared<file_input>("/nonexistent/song.ogg", true),
                  std::make_shared<signal_input>("sine:440"));
    s.open();
    int64_t next = 0;
    REQUIRE(read_until(s, next, [&](const block&) { return !s.status().last_error.empty(); }, 200));
    auto b = read_until(s, next, [](const block&) { return true; }, 1);
    CHECK(test::rms_db(b->samples().data(), b->samples().size()) == Approx(-9.03).margin(0.3));
    CHECK_THAT(s.status().last_error, Catch::Contains("/nonexistent/song.ogg"));
    CHECK(s.status().fallback_active);
    s.close();
}

TEST_CASE("a source far ahead of the clock is trimmed to its bound, oldest audio first, counted", "[live][source]") {
    live_source s(options(), nullptr, nullptr);
    s.open();
    auto src = std::make_shared<test::scripted_source>(0.25f, 5.0);  // 5 s at once, then real time
    REQUIRE(s.attach_source(src));
    int64_t next = 0;
    REQUIRE(read_until(s, next, [](const block& x) { return all_equal(x, 0.25f); }, 10));
    // Kept: this block and 2 s beyond it; of the 5 s (and the little real time since), the rest.
    const int64_t trimmed = s.status().trimmed_frames;
    CHECK(trimmed >= 5 * 44100 - 1024 - 2 * 44100);
    CHECK(trimmed <= 5 * 44100 - 1024 - 2 * 44100 + 4410);
    s.close();
}

TEST_CASE("titles a source reports reach the callback", "[live][source]") {
    live_source s(options(), nullptr, nullptr);
    std::vector<std::string> titles;
    s.on_title([&](const std::string& t) { titles.push_back(t); });
    s.open();
    auto src = std::make_shared<test::scripted_source>(0.25f);
    src->set_title("Artist - Song");
    REQUIRE(s.attach_source(src));
    int64_t next = 0;
    REQUIRE(read_until(s, next, [&](const block&) { return !titles.empty(); }, 100));
    CHECK(titles == std::vector<std::string>{"Artist - Song"});
    s.close();
}
