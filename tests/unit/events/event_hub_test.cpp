// The event hub as subscribers meet it, without sockets: readers are plain objects that record
// what the hub tells them. Checked: events never decimated while framewise rows are, one shared
// buffer per message, the ring's resume, a parked reader woken once, a lagging reader lowered to
// a quarter of its rate and then reported behind, a reader the ring lost, the caps, the close.
#include "server/events/event_hub.hpp"

#include <atomic>
#include <chrono>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "../test_support.hpp"

using namespace timeside;
using namespace timeside::server::events;

namespace {

struct recording_reader : feed_reader {
    std::atomic<int> woken{0}, behind{0};
    std::vector<int> lowered, raised;  // the rates it was lowered / raised to (the hub calls from the test's thread here)
    message_ptr closing;
    void on_messages() override { ++woken; }
    void on_behind() override { ++behind; }
    void on_rate_changed(int rate, bool up) override { (up ? raised : lowered).push_back(rate); }
    void on_hub_closed(message_ptr m) override { closing = std::move(m); }
};

event_hub_settings settings(double queue = 10) {
    event_hub_settings s;
    s.mount_id = "test";
    s.samplerate = 44100;
    s.queue_seconds = queue;
    s.first_seq = 1000;
    return s;
}

analysis_event onset(int64_t frame) { return {"onset", frame, 44100, 0, {}, 1}; }
analysis_event row(int64_t frame, double v) { return {"level.rms", frame, 44100, 1024, {v}, {}}; }

std::vector<message_ptr> take_all(event_hub& h, uint64_t& cursor, int rate) {
    std::vector<message_ptr> out;
    while (h.take(cursor, rate, out, 64, nullptr) == event_hub::take_result::data) {
    }
    return out;
}

}  // namespace

TEST_CASE("events are never decimated; framewise rows come at the reader's rate", "[events]") {
    auto h = std::make_shared<event_hub>(settings());
    auto fast = std::make_shared<recording_reader>(), slow = std::make_shared<recording_reader>();
    std::optional<resume_info> resume;
    uint64_t c_fast = h->attach(fast, 20, false, std::nullopt, resume);
    uint64_t c_slow = h->attach(slow, 2, false, std::nullopt, resume);
    CHECK_FALSE(resume);
    // 10 s: a row per 1024-frame block and an onset every 0.25 s.
    int onsets = 0;
    for (int64_t f = 0; f < 441000; f += 1024) {
        h->publish(row(f, -20));
        if (f % 11025 < 1024) h->publish(onset(f)), ++onsets;
    }
    auto count = [](const std::vector<message_ptr>& ms, const char* result) {
        return std::count_if(ms.begin(), ms.end(), [&](const message_ptr& m) { return m->result_id == result; });
    };
    const auto a = take_all(*h, c_fast, 20), b = take_all(*h, c_slow, 2);
    CHECK(count(a, "onset") == onsets);
    CHECK(count(b, "onset") == onsets);
    CHECK(count(a, "level.rms") == 199);  // 10 s at 20 a second, the last interval still open
    CHECK(count(b, "level.rms") == 19);
    // The same event is the same buffer for both: serialized once.
    auto first_onset = [](const std::vector<message_ptr>& ms) {
        return *std::find_if(ms.begin(), ms.end(), [](const message_ptr& m) { return m->result_id == "onset"; });
    };
    CHECK(first_onset(a).get() == first_onset(b).get());
    // Sequence numbers go on without a gap from first_seq, in the ring's order.
    CHECK(a.front()->seq >= 1000);
    CHECK(std::is_sorted(a.begin(), a.end(), [](const message_ptr& x, const message_ptr& y) { return x->seq < y->seq; }));
    CHECK(h->counters().messages == h->last_seq() - 999);
}

TEST_CASE("a parked reader is woken once by the next message", "[events]") {
    auto h = std::make_shared<event_hub>(settings());
    auto r = std::make_shared<recording_reader>();
    std::optional<resume_info> resume;
    uint64_t cursor = h->attach(r, 20, false, std::nullopt, resume);
    std::vector<message_ptr> out;
    CHECK(h->take(cursor, 20, out, 64, r) == event_hub::take_result::none);
    h->publish(onset(10));
    h->publish(onset(20));
    CHECK(r->woken == 1);
    CHECK(h->take(cursor, 20, out, 64, r) == event_hub::take_result::data);
    CHECK(out.size() == 2);
}

TEST_CASE("a reconnect resumes after its last id while the ring holds it, else from now", "[events]") {
    auto s = settings();
    s.max_ring = 8;
    auto h = std::make_shared<event_hub>(s);
    // A subscriber is there (the ring holds nothing to resume for a feed nobody subscribes to).
    const auto watching = h->try_join().slot;
    for (int i = 0; i < 5; ++i) h->publish(onset(i * 100));  // seqs 1000..1004
    auto r = std::make_shared<recording_reader>();
    std::optional<resume_info> resume;
    uint64_t cursor = h->attach(r, 20, false, uint64_t{1002}, resume);
    REQUIRE(resume);
    CHECK(resume->complete);
    CHECK(cursor == 1002);
    const auto got = take_all(*h, cursor, 20);
    REQUIRE(got.size() == 2);
    CHECK(got[0]->seq == 1003);
    h->detach(r.get());
    for (int i = 0; i < 10; ++i) h->publish(onset(1000 + i));  // the ring keeps the last 8
    cursor = h->attach(r, 20, false, uint64_t{1002}, resume);
    CHECK_FALSE(resume->complete);
    CHECK(cursor == h->last_seq());
    // A reader whose cursor the ring no longer holds is lost.
    uint64_t old = 1001;
    std::vector<message_ptr> out;
    CHECK(h->take(old, 20, out, 64, nullptr) == event_hub::take_result::lost);
}

TEST_CASE("a reader that stops writing is lowered to a quarter of its rate, then reported behind", "[events]") {
    auto h = std::make_shared<event_hub>(settings(0.4));  // lowered past 0.1 s, behind past 0.4 s
    auto stuck = std::make_shared<recording_reader>(), fine = std::make_shared<recording_reader>();
    std::optional<resume_info> resume;
    h->attach(stuck, 20, false, std::nullopt, resume);
    uint64_t cursor = h->attach(fine, 20, false, std::nullopt, resume);
    int64_t frame = 0;
    const auto start = std::chrono::steady_clock::now();
    const bool behind = test::eventually([&] {
        h->publish(row(frame, -10));
        h->publish(row(frame + 1024, -10));
        frame += 11025;  // each call a check period (0.25 s of stream)
        h->tick(frame);
        take_all(*h, cursor, fine->rate);
        fine->done_seq = cursor;  // the other reader keeps up
        return stuck->behind > 0;
    });
    REQUIRE(behind);
    CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(400));
    // A quarter each time, at most once per quarter of the queue: 20 -> 5 -> 1, never below.
    CHECK(stuck->lowered == std::vector<int>{5, 1});
    CHECK(stuck->rate == 1);
    CHECK(h->counters().dropped > 0);
    CHECK(fine->behind == 0);
    CHECK(fine->rate == 20);
}

TEST_CASE("a lowered reader that keeps up again gets its rate back, a step per queue, up to what it asked", "[events]") {
    auto h = std::make_shared<event_hub>(settings(0.4));  // lowered past 0.1 s behind; raised after 0.4 s kept up
    auto r = std::make_shared<recording_reader>();
    std::optional<resume_info> resume;
    uint64_t cursor = h->attach(r, 20, false, std::nullopt, resume);
    int64_t frame = 0;
    auto period = [&](bool reads) {
        h->publish(row(frame, -10));
        h->publish(row(frame + 1024, -10));
        frame += 11025;  // each call a check period (0.25 s of stream)
        h->tick(frame);
        if (reads) {
            take_all(*h, cursor, r->rate);
            r->done_seq = cursor;
        }
    };
    // Stuck for a while: lowered once (20 -> 5), well before it would be reported behind.
    REQUIRE(test::eventually([&] { period(false); return !r->lowered.empty(); }, std::chrono::milliseconds(2000)));
    CHECK(r->lowered == std::vector<int>{5});
    CHECK(r->behind == 0);
    // Reading again: not raised before a whole queue (0.4 s) has passed since it last lagged...
    const auto caught_up = std::chrono::steady_clock::now();
    REQUIRE(test::eventually([&] { period(true); return !r->raised.empty(); }, std::chrono::milliseconds(3000)));
    CHECK(std::chrono::steady_clock::now() - caught_up >= std::chrono::milliseconds(300));
    CHECK(r->raised == std::vector<int>{20});  // 5 * 4, capped at the asked 20
    CHECK(r->rate == 20);
    // ...and never above what it asked for, however long it keeps up.
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(600);
    while (std::chrono::steady_clock::now() < until) period(true);
    CHECK(r->raised == std::vector<int>{20});
    CHECK(r->behind == 0);
    // Messages at the raised rate reach it: a quarter second with a row every block closes four
    // intervals or more at 20 a second (at the lowered 5, one at most).
    for (int k = 0; k < 11; ++k) h->publish(row(frame + k * 1024, -10));
    frame += 11025;
    h->tick(frame);
    const auto got = take_all(*h, cursor, r->rate);
    r->done_seq = cursor;
    CHECK(got.size() >= 4);
    CHECK(r->raised == std::vector<int>{20});
}

TEST_CASE("the mount's and the server's caps refuse the next subscriber, naming the cap", "[events]") {
    auto budget = std::make_shared<subscriber_budget>(3);
    auto s = settings();
    s.max_subscribers = 2;
    s.server = budget;
    auto a = std::make_shared<event_hub>(s), b = std::make_shared<event_hub>(s);
    auto p1 = a->try_join(), p2 = a->try_join(), p3 = a->try_join();
    CHECK(p1.slot);
    CHECK(p2.slot);
    CHECK_FALSE(p3.slot);
    CHECK(p3.refusal.find("[events] max_subscribers") != std::string::npos);
    auto q1 = b->try_join(), q2 = b->try_join();
    CHECK(q1.slot);
    CHECK_FALSE(q2.slot);
    CHECK(q2.refusal.find("[live] max_subscribers") != std::string::npos);
    CHECK(budget->subscribers == 3);
    p1.slot.reset();
    CHECK(budget->subscribers == 2);
    CHECK(b->try_join().slot);
    CHECK(a->counters().refused == 1);
    CHECK(b->counters().refused == 1);
    CHECK(a->counters().subscriber_peak == 2);
}

TEST_CASE("closing the hub sends its closing news last and refuses new subscribers", "[events]") {
    auto h = std::make_shared<event_hub>(settings());
    auto r = std::make_shared<recording_reader>();
    std::optional<resume_info> resume;
    uint64_t cursor = h->attach(r, 20, false, std::nullopt, resume);
    h->publish(onset(5));
    h->close("restarted");
    h->publish(onset(6));  // too late: not published
    REQUIRE(r->closing);
    CHECK(r->closing->closing == "restarted");
    const auto got = take_all(*h, cursor, 20);
    REQUIRE(got.size() == 2);
    CHECK(got.back() == r->closing);
    std::vector<message_ptr> out;
    CHECK(h->take(cursor, 20, out, 64, nullptr) == event_hub::take_result::closed);
    CHECK_FALSE(h->try_join().slot);
}

TEST_CASE("spectra go as binary columns to the readers that take them, as JSON to the others", "[events]") {
    auto h = std::make_shared<event_hub>(settings());
    auto c = std::make_shared<catalog>();
    c->modes["spectrogram_analyzer"] = time_mode::framewise;
    c->spectra["spectrogram_analyzer"] = {3, 256};
    h->set_catalog(c);
    auto columns = std::make_shared<recording_reader>(), text = std::make_shared<recording_reader>();
    std::optional<resume_info> resume;
    uint64_t c_columns = h->attach(columns, 10, true, std::nullopt, resume);
    uint64_t c_text = h->attach(text, 10, false, std::nullopt, resume);
    for (int64_t f = 0; f < 44100; f += 512) h->publish(analysis_event{"spectrogram_analyzer", f, 44100, 2048, {256, 1, 0}, {}});
    const auto a = take_all(*h, c_columns, 10), b = take_all(*h, c_text, 10);
    auto binaries = [](const std::vector<message_ptr>& ms) {
        return std::count_if(ms.begin(), ms.end(), [](const message_ptr& m) { return m->binary; });
    };
    // At rate 10 both forms exist in the ring, one of each per interval; each reader's cursor
    // returns both (feed_cursor picks by its subscription), so here: 9 intervals closed, twice.
    CHECK(binaries(a) == 9);
    CHECK(a.size() == 18);
    CHECK(b.size() == 18);
    h->detach(columns.get());
    const uint64_t before = h->last_seq();
    for (int64_t f = 44100; f < 88200; f += 512) h->publish(analysis_event{"spectrogram_analyzer", f, 44100, 2048, {256, 1, 0}, {}});
    std::vector<message_ptr> later;
    uint64_t from = before;
    while (h->take(from, 10, later, 64, nullptr) == event_hub::take_result::data) {
    }
    CHECK(binaries(later) == 0);  // nobody takes columns any more: none made
    CHECK(later.size() == 10);
}

TEST_CASE("the ring is bounded in bytes too: the oldest messages go first", "[events]") {
    auto s = settings();
    s.max_ring_bytes = 4096;
    auto h = std::make_shared<event_hub>(s);
    const auto watching = h->try_join().slot;  // a subscriber is there
    for (int i = 0; i < 200; ++i) h->publish(onset(i * 100));  // ~100 bytes each
    auto r = std::make_shared<recording_reader>();
    std::optional<resume_info> resume;
    h->attach(r, 20, false, uint64_t{1000}, resume);  // the first message's id
    CHECK_FALSE(resume->complete);  // long gone
    h->detach(r.get());
    h->attach(r, 20, false, h->last_seq() - 10, resume);
    CHECK(resume->complete);
    size_t bytes = 0, held = 0;
    uint64_t from = 999;
    std::vector<message_ptr> out;
    CHECK(h->take(from, 20, out, 1000, nullptr) == event_hub::take_result::lost);
    from = h->last_seq() - 30;
    while (h->take(from, 20, out, 1000, nullptr) == event_hub::take_result::data) {
    }
    for (const auto& m : out) bytes += m->json.size() + m->sse_head.size(), ++held;
    CHECK(held == 30);
    CHECK(bytes <= 4096);
}

TEST_CASE("a feed nobody subscribes to holds one message; a subscriber's leaving keeps the window open", "[events]") {
    using namespace std::chrono_literals;
    auto s = settings(0.05);
    s.resume_seconds = 0.05;  // the window: max(resume, queue) + 1 s
    auto h = std::make_shared<event_hub>(s);
    int64_t frame = 0;
    for (int i = 0; i < 5; ++i) h->publish(onset(frame += 100));
    CHECK(h->counters().ring_messages == 1);  // nobody ever subscribed: nothing to resume
    CHECK(h->counters().ring_bytes > 0);
    // A subscriber: messages are held (for resume), and still for the window after it left.
    auto joined = h->try_join();
    REQUIRE(joined.slot);
    for (int i = 0; i < 5; ++i) h->publish(onset(frame += 100));
    const uint64_t seen = h->last_seq() - 2;
    joined.slot.reset();
    const auto left = std::chrono::steady_clock::now();
    for (int i = 0; i < 5; ++i) h->publish(onset(frame += 100));
    CHECK(h->counters().ring_messages == 11);
    auto r = std::make_shared<recording_reader>();
    std::optional<resume_info> resume;
    uint64_t cursor = h->attach(r, 20, false, seen, resume);
    REQUIRE(resume);
    CHECK(resume->complete);
    CHECK(take_all(*h, cursor, 20).size() == 7);
    h->detach(r.get());
    // Once the window has passed since it left, the ring is back to the newest message.
    const auto deadline = left + 5s;
    while (h->counters().ring_messages > 1 && std::chrono::steady_clock::now() < deadline) {
        h->publish(onset(frame += 100));
        std::this_thread::sleep_for(20ms);
    }
    REQUIRE(h->counters().ring_messages == 1);
    CHECK(std::chrono::steady_clock::now() - left >= 1s);
}
