// The hub: headers first, a burst of burst_seconds starting on a sync chunk, a ring trimmed to its
// seconds, cursors that lose nothing in order, listeners left behind detected, caps and counters,
// and wake-ups only for idle listeners, coalesced.
#include "server/live/hub.hpp"

#include <catch2/catch.hpp>

#include "core/errors.hpp"

using namespace timeside::server::live;

namespace {

constexpr int rate = 44100;
constexpr int64_t frame_len = 1152;  // one MP3 frame per chunk

chunk_ptr make_chunk(int64_t end_frame, bool sync, bool header = false, size_t size = 417) {
    auto c = std::make_shared<live_chunk>();
    c->bytes.assign(size, static_cast<unsigned char>(end_frame & 0xFF));
    c->end_frame = end_frame;
    c->sync = sync;
    c->header = header;
    return c;
}

// burst_bytes off unless a case is about it: the seconds are what most cases check.
hub_settings settings(double burst, double queue, unsigned max = 0, unsigned burst_bytes = 0) {
    hub_settings s;
    s.mount = "/live/test.mp3";
    s.samplerate = rate;
    s.burst_seconds = burst;
    s.burst_bytes = burst_bytes;
    s.queue_seconds = queue;
    s.max_listeners = max;
    return s;
}

// Publishes `count` chunks of one frame_len each after `end`; every `sync_every`-th is sync.
int64_t publish_run(hub& h, int64_t end, int count, int sync_every = 1) {
    for (int i = 0; i < count; ++i) {
        end += frame_len;
        h.publish(make_chunk(end, (end / frame_len) % sync_every == 0));
    }
    return end;
}

struct counting_waiter : hub_waiter, hub_reader {
    int calls = 0, behind = 0, closed = 0;
    int64_t written = 0;
    void on_chunks() override { ++calls; }
    void on_behind() override { ++behind; }
    void on_hub_closed() override { ++closed; }
    int64_t written_end_frame() const override { return written; }
};

}  // namespace

TEST_CASE("hub: a joining listener gets the header chunks first, in order", "[hub]") {
    auto h = std::make_shared<hub>(settings(1, 5));
    h->publish(make_chunk(0, false, true, 10));
    h->publish(make_chunk(0, false, true, 20));
    publish_run(*h, 0, 100);
    auto start = h->start();
    REQUIRE(start.headers.size() == 2);
    CHECK(start.headers[0]->bytes.size() == 10);
    CHECK(start.headers[1]->bytes.size() == 20);
    std::vector<chunk_ptr> out;
    REQUIRE(h->take(start.from, out, 1000) == hub::take_result::data);
    for (const auto& c : out) CHECK_FALSE(c->header);  // the ring holds no copy of the first set
}

TEST_CASE("hub: the burst starts on a sync chunk and holds burst_seconds of audio", "[hub]") {
    const double burst = GENERATE(0.5, 1.0, 2.0);
    auto h = std::make_shared<hub>(settings(burst, 5));
    const int sync_every = 4;  // an Ogg page of several frames, say
    const int64_t end = publish_run(*h, 0, 300, sync_every);
    auto start = h->start();
    std::vector<chunk_ptr> out;
    REQUIRE(h->take(start.from, out, 10000) == hub::take_result::data);
    REQUIRE(out.front()->sync);
    const int64_t first_start = out.front()->end_frame - frame_len;
    CHECK(start.start_frame == first_start);
    const double seconds = static_cast<double>(end - first_start) / rate;
    // The earliest sync chunk inside the burst: at most burst, less by under one sync interval.
    CHECK(seconds <= burst + 1e-9);
    CHECK(seconds > burst - static_cast<double>(sync_every * frame_len) / rate);
    // Everything up to the newest chunk, in order, nothing skipped.
    for (size_t i = 1; i < out.size(); ++i) CHECK(out[i]->end_frame == out[i - 1]->end_frame + frame_len);
    CHECK(out.back()->end_frame == end);
}

TEST_CASE("hub: a burst of too few bytes reaches back to burst_bytes, from a sync chunk, within half the queue", "[hub]") {
    // 128 kbit/s MP3: 417-byte frames, 2 s = 32,000 bytes, fewer than a browser's 32 KiB block.
    const int sync_every = 4;
    const int64_t frame_bytes = 417;
    auto first_of = [&](hub& h, int64_t& start_frame) {
        auto start = h.start();
        std::vector<chunk_ptr> out;
        REQUIRE(h.take(start.from, out, 100000) == hub::take_result::data);
        REQUIRE(out.front()->sync);
        start_frame = start.start_frame;
        CHECK(start_frame == out.front()->end_frame - frame_len);
        int64_t bytes = 0;
        for (const auto& c : out) bytes += static_cast<int64_t>(c->bytes.size());
        return bytes;
    };
    SECTION("enough audio in the ring: the latest sync chunk with 64 KiB after it") {
        auto h = std::make_shared<hub>(settings(2, 10, 0, 65536));
        const int64_t end = publish_run(*h, 0, 400, sync_every);
        int64_t start_frame = 0;
        const int64_t bytes = first_of(*h, start_frame);
        CHECK(bytes >= 65536);
        CHECK(bytes < 65536 + sync_every * frame_bytes);  // not a sync interval more than needed
        CHECK(static_cast<double>(end - start_frame) / rate > 4.0);  // 64 KiB: 4.1 s of this stream
    }
    SECTION("the seconds already hold more: they decide") {
        auto h = std::make_shared<hub>(settings(6, 10, 0, 65536));
        const int64_t end = publish_run(*h, 0, 400, sync_every);
        int64_t start_frame = 0;
        first_of(*h, start_frame);
        const double seconds = static_cast<double>(end - start_frame) / rate;
        CHECK(seconds <= 6.0 + 1e-9);
        CHECK(seconds > 6.0 - static_cast<double>(sync_every * frame_len) / rate);
    }
    SECTION("never further back than half the queue") {
        auto h = std::make_shared<hub>(settings(1, 6, 0, 1 << 20));
        const int64_t end = publish_run(*h, 0, 400, sync_every);
        int64_t start_frame = 0;
        first_of(*h, start_frame);
        const double seconds = static_cast<double>(end - start_frame) / rate;
        CHECK(seconds <= 3.0 + 1e-9);
        CHECK(seconds > 3.0 - static_cast<double>(sync_every * frame_len) / rate);
    }
    SECTION("a young stream: all the ring has, from its first sync chunk") {
        auto h = std::make_shared<hub>(settings(2, 10, 0, 65536));
        publish_run(*h, 0, 50, sync_every);  // 1.3 s, 20 KB
        int64_t start_frame = 0;
        const int64_t bytes = first_of(*h, start_frame);
        CHECK(start_frame < sync_every * frame_len);
        CHECK(bytes > 50 * frame_bytes - sync_every * frame_bytes);
    }
    SECTION("burst 0 is the live edge, bytes or not") {
        auto h = std::make_shared<hub>(settings(0, 10, 0, 65536));
        publish_run(*h, 0, 400, sync_every);
        auto start = h->start();
        std::vector<chunk_ptr> out;
        CHECK(h->take(start.from, out, 100) == hub::take_result::none);
    }
}

TEST_CASE("hub: burst 0 starts at the live edge, on the next sync chunk", "[hub]") {
    auto h = std::make_shared<hub>(settings(0, 5));
    int64_t end = publish_run(*h, 0, 50);
    auto start = h->start();
    std::vector<chunk_ptr> out;
    CHECK(h->take(start.from, out, 100) == hub::take_result::none);
    h->publish(make_chunk(end += frame_len, false));  // inside a frame: skipped
    h->publish(make_chunk(end += frame_len, false));
    CHECK(h->take(start.from, out, 100) == hub::take_result::none);
    h->publish(make_chunk(end += frame_len, true));
    h->publish(make_chunk(end += frame_len, false));  // after the start: kept
    REQUIRE(h->take(start.from, out, 100) == hub::take_result::data);
    REQUIRE(out.size() == 2);
    CHECK(out[0]->sync);
    CHECK(out[0]->end_frame == end - frame_len);
    CHECK(out[1]->end_frame == end);
}

TEST_CASE("hub: the ring holds max(burst, queue) seconds, no more", "[hub]") {
    auto h = std::make_shared<hub>(settings(2, 5));
    publish_run(*h, 0, 30 * rate / frame_len);  // 30 s
    const double chunk_s = static_cast<double>(frame_len) / rate;
    CHECK(h->ring_seconds() <= 5 + chunk_s + 1e-9);
    CHECK(h->ring_seconds() >= 5 - 1e-9);
    CHECK(h->ring_chunks() == static_cast<size_t>(std::ceil(h->ring_seconds() / chunk_s - 1e-9)));
    // The measured rate: 417 bytes per 1152 frames.
    CHECK(h->bytes_per_second() == Approx(417.0 * rate / frame_len).epsilon(1e-9));
}

TEST_CASE("hub: a reader left behind the ring is told so, while another keeps every chunk in order", "[hub]") {
    auto h = std::make_shared<hub>(settings(1, 3));
    auto fast = h->start();
    auto slow = h->start();
    std::vector<chunk_ptr> got, slow_got;
    REQUIRE(h->take(slow.from, slow_got, 1) == hub::take_result::none);
    int64_t end = 0;
    for (int i = 0; i < 10 * rate / frame_len; ++i) {  // 10 s, the slow reader reads nothing
        end = publish_run(*h, end, 1);
        REQUIRE(h->take(fast.from, got, 1000) == hub::take_result::data);
    }
    CHECK(h->take(slow.from, slow_got, 1000) == hub::take_result::lost);
    REQUIRE(got.size() == static_cast<size_t>(10 * rate / frame_len));
    for (size_t i = 0; i < got.size(); ++i) CHECK(got[i]->end_frame == static_cast<int64_t>(i + 1) * frame_len);
}

TEST_CASE("hub: a header after audio starts a new set: listeners get it in order, joiners after it", "[hub]") {
    auto h = std::make_shared<hub>(settings(1, 5));
    h->publish(make_chunk(0, false, true, 11));
    int64_t end = publish_run(*h, 0, 20);
    auto early = h->start();
    std::vector<chunk_ptr> seen;
    h->take(early.from, seen, 1000);
    seen.clear();
    h->publish(make_chunk(0, false, true, 33));  // the encoder started over
    end = publish_run(*h, end, 5);
    REQUIRE(h->take(early.from, seen, 1000) == hub::take_result::data);
    REQUIRE(seen.size() == 6);
    CHECK(seen[0]->header);
    CHECK(seen[0]->bytes.size() == 33);
    auto late = h->start();
    REQUIRE(late.headers.size() == 1);
    CHECK(late.headers[0]->bytes.size() == 33);
    std::vector<chunk_ptr> late_seen;
    REQUIRE(h->take(late.from, late_seen, 1000) == hub::take_result::data);
    CHECK(late_seen.size() == 5);  // the burst does not reach back past the new header
    CHECK(late_seen.front()->end_frame == end - 4 * frame_len);
}

TEST_CASE("hub: caps: the mount's max and the server's budget, each named when full", "[hub]") {
    auto budget = std::make_shared<listener_budget>(3);
    auto s = settings(1, 5, 2);
    s.server = budget;
    auto a = std::make_shared<hub>(s);
    s.mount = "/live/other.mp3";
    s.max_listeners = 0;
    auto b = std::make_shared<hub>(s);

    auto a1 = a->try_join(), a2 = a->try_join();
    REQUIRE(a1.place);
    REQUIRE(a2.place);
    auto a3 = a->try_join();
    CHECK_FALSE(a3.place);
    CHECK(a3.refusal == "/live/test.mp3 has its maximum of 2 listeners");
    auto b1 = b->try_join();
    REQUIRE(b1.place);
    auto b2 = b->try_join();
    CHECK_FALSE(b2.place);
    CHECK(b2.refusal == "the server has its maximum of 3 listeners (max_listeners)");
    CHECK(budget->listeners == 3);
    CHECK(a->counters().listeners == 2);
    CHECK(a->counters().refused == 1);
    CHECK(b->counters().refused == 1);

    a1.place.reset();  // a listener leaves: its place is free again, in both counts
    CHECK(a->counters().listeners == 1);
    CHECK(budget->listeners == 2);
    auto b3 = b->try_join();
    CHECK(b3.place);
    CHECK(b->counters().listeners == 2);
    CHECK(b->counters().listener_peak == 2);
    CHECK(a->counters().listener_peak == 2);
    CHECK(a->counters().connects == 2);
    CHECK(b->counters().connects == 2);
}

TEST_CASE("hub: a mount's cap is shared by the hubs of all its outputs", "[hub]") {
    auto server = std::make_shared<listener_budget>(100);
    auto mount = std::make_shared<listener_budget>(2);
    auto s = settings(1, 5, 0);
    s.server = server;
    s.mount_budget = mount;
    s.mount_id = "tone";
    auto mp3 = std::make_shared<hub>(s);
    s.mount = "/live/tone.ogg";
    auto ogg = std::make_shared<hub>(s);

    auto x = mp3->try_join(), y = ogg->try_join();
    REQUIRE(x.place);
    REQUIRE(y.place);
    auto z = ogg->try_join();
    CHECK_FALSE(z.place);
    CHECK(z.refusal == "mount tone has its maximum of 2 listeners ([listeners] max)");
    CHECK(server->listeners == 2);  // the refused one gave its server place back
    CHECK(mount->listeners == 2);
    x.place.reset();
    CHECK(mount->listeners == 1);
    CHECK(server->listeners == 1);
    CHECK(ogg->try_join().place);
}

TEST_CASE("hub: a queue shorter than the burst is refused at setup, naming both", "[hub]") {
    CHECK_THROWS_WITH(hub(settings(5, 2)), Catch::Contains("queue (2 s) must be positive and at least burst (5 s)"));
}

TEST_CASE("hub: only idle listeners are woken, once, when enough audio arrived", "[hub]") {
    auto s = settings(0, 5);
    s.wake_min_seconds = s.wake_max_seconds = 0.1;  // 4410 frames: the 4th chunk of 1152 crosses it
    auto h = std::make_shared<hub>(s);
    auto idle = std::make_shared<counting_waiter>();
    auto at = h->start();
    std::vector<chunk_ptr> out;
    REQUIRE(h->take(at.from, out, 10, idle) == hub::take_result::none);
    int64_t end = publish_run(*h, 0, 3);
    CHECK(idle->calls == 0);  // 3456 frames: not yet
    end = publish_run(*h, end, 1);
    CHECK(idle->calls == 1);
    end = publish_run(*h, end, 20);
    CHECK(idle->calls == 1);  // not registered again: a listener writing is not woken
    REQUIRE(h->take(at.from, out, 100, idle) == hub::take_result::data);
    CHECK(out.size() == 24);
    REQUIRE(h->take(at.from, out, 100, idle) == hub::take_result::none);
    publish_run(*h, end, 4);
    CHECK(idle->calls == 2);
}

TEST_CASE("hub: the wake-up interval grows with the audience, within its bounds", "[hub]") {
    auto s = settings(0, 5);
    s.wake_writes_per_second = 10;  // 2 listeners: 0.2 s (8820 frames, crossed by the 8th chunk of 1152)
    s.wake_min_seconds = 0;
    s.wake_max_seconds = 0.3;
    auto h = std::make_shared<hub>(s);
    auto idle = std::make_shared<counting_waiter>();
    auto at = h->start();
    std::vector<chunk_ptr> out;
    // Nobody listening: every chunk wakes (the lowest latency).
    REQUIRE(h->take(at.from, out, 10, idle) == hub::take_result::none);
    int64_t end = publish_run(*h, 0, 1);
    CHECK(idle->calls == 1);
    auto a = h->try_join(), b = h->try_join();
    REQUIRE((a.place && b.place));
    REQUIRE(h->take(at.from, out, 10, idle) == hub::take_result::data);
    REQUIRE(h->take(at.from, out, 10, idle) == hub::take_result::none);
    end = publish_run(*h, end, 7);
    CHECK(idle->calls == 1);  // 7 chunks since the last wake-up: 8064 frames < 8820
    end = publish_run(*h, end, 1);
    CHECK(idle->calls == 2);
    // 100 listeners would want 10 s: capped at wake_max_seconds (13230 frames: the 12th chunk).
    std::vector<hub::join_result> crowd;
    for (int i = 0; i < 98; ++i) crowd.push_back(h->try_join());
    REQUIRE(h->take(at.from, out, 100, idle) == hub::take_result::data);
    REQUIRE(h->take(at.from, out, 100, idle) == hub::take_result::none);
    end = publish_run(*h, end, 11);
    CHECK(idle->calls == 2);
    publish_run(*h, end, 1);
    CHECK(idle->calls == 3);
}

TEST_CASE("hub: titles get a new version and their block once", "[hub][icy]") {
    auto h = std::make_shared<hub>(settings(1, 5));
    CHECK(h->title()->version == 0);
    CHECK(h->title()->block.empty());
    h->set_title("A - B");
    const auto t1 = h->title();
    CHECK(t1->version == 1);
    CHECK(t1->title == "A - B");
    CHECK(t1->block == icy::metadata_block("A - B"));
    h->set_title("C");
    CHECK(h->title()->version == 2);
    CHECK(t1->title == "A - B");  // a listener's write in flight keeps its block
}

TEST_CASE("hub: a listener more than queue seconds behind is told, within check_seconds; the others are not", "[hub]") {
    auto s = settings(1, 3);
    s.check_seconds = 0.25;
    auto h = std::make_shared<hub>(s);
    auto keeping_up = std::make_shared<counting_waiter>();
    auto stuck = std::make_shared<counting_waiter>();
    h->attach(keeping_up);
    h->attach(stuck);
    {
        auto gone = std::make_shared<counting_waiter>();
        h->attach(gone);  // destroyed: forgotten at the next check, never called
    }
    int64_t end = 0;
    int64_t told_at = -1;
    while (end < 6 * rate) {
        end = publish_run(*h, end, 1);
        keeping_up->written = end;
        if (stuck->behind > 0 && told_at < 0) told_at = end;
    }
    CHECK(keeping_up->behind == 0);
    REQUIRE(told_at > 0);
    // Behind by more than 3 s from frame 3 s on: told within one check period (+ one chunk).
    CHECK(told_at > 3 * rate);
    CHECK(told_at <= 3 * rate + static_cast<int64_t>(0.25 * rate) + 2 * frame_len);

    h->close_listeners();
    CHECK(keeping_up->closed == 1);
    CHECK(stuck->closed == 1);
    auto late = h->try_join();
    CHECK_FALSE(late.place);
    CHECK(late.refusal == "/live/test.mp3 is being removed");
}

TEST_CASE("hub: close_listeners lets idle listeners go (they hold the hub, it holds them)", "[hub]") {
    auto h = std::make_shared<hub>(settings(1, 3));
    auto idle = std::make_shared<counting_waiter>();
    h->attach(idle);
    auto at = h->start();
    std::vector<chunk_ptr> out;
    REQUIRE(h->take(at.from, out, 10, idle) == hub::take_result::none);
    CHECK(idle.use_count() == 2);  // the hub's wake-up list
    h->close_listeners();
    CHECK(idle->closed == 1);
    CHECK(idle.use_count() == 1);
    CHECK(idle->calls == 1);  // woken once more, after being told to close
}

TEST_CASE("hub: settings from a stream definition and one of its outputs", "[hub]") {
    stream_definition d;
    d.id = "studio";
    d.name = "Studio";
    d.genre = "Jazz";
    d.samplerate = 48000;
    d.channels = 2;
    d.listeners.max = 7;
    d.listeners.burst_seconds = 0.5;
    d.listeners.burst_bytes = 4096;
    d.listeners.queue_seconds = 4;
    d.listeners.metaint = 8192;
    output_definition o;
    o.extension = "opus";
    o.content_type = "audio/ogg";
    o.bitrate_kbps = 96;
    auto budget = std::make_shared<listener_budget>(100);
    auto mount = std::make_shared<listener_budget>(d.listeners.max);
    const auto s = hub_settings_for(d, o, budget, mount);
    CHECK(s.mount == "/live/studio.opus");
    CHECK(s.content_type == "audio/ogg");
    CHECK(s.samplerate == 48000);
    CHECK(s.bitrate_kbps == 96);
    CHECK(s.name == "Studio");
    CHECK(s.genre == "Jazz");
    CHECK(s.mount_budget == mount);
    CHECK(s.mount_id == "studio");
    CHECK(s.max_listeners == 0);  // the mount's cap is the budget its outputs share
    CHECK(s.burst_seconds == 0.5);
    CHECK(s.burst_bytes == 4096);
    CHECK(s.queue_seconds == 4);
    CHECK(s.metaint == 8192);
    CHECK(s.server == budget);
}

TEST_CASE("hub: the listeners' shared state is made once, on first demand", "[hub]") {
    auto h = std::make_shared<hub>(settings(1, 3));
    int made = 0;
    auto make = [&] {
        ++made;
        return std::shared_ptr<void>(std::make_shared<int>(42));
    };
    auto a = h->listener_state(make);
    auto b = h->listener_state(make);
    CHECK(made == 1);
    CHECK(a == b);
    CHECK(*std::static_pointer_cast<int>(a) == 42);
}

TEST_CASE("hub: listeners() lists the attached readers that are listeners, and forgets the gone", "[hub]") {
    struct fake_listener : counting_waiter {
        listener_info info;
        std::optional<listener_info> listener() const override { return info; }
    };
    auto h = std::make_shared<hub>(settings(1, 5));
    auto first = std::make_shared<fake_listener>();
    first->info.peer = "127.0.0.1:5000";
    first->info.user_agent = "VLC/3.0";
    first->info.bytes = 4096;
    auto relay = std::make_shared<counting_waiter>();  // a reader that is no listener (a push relay)
    auto second = std::make_shared<fake_listener>();
    second->info.peer = "[::1]:6000";
    h->attach(first);
    h->attach(relay);
    h->attach(second);
    {
        auto gone = std::make_shared<fake_listener>();
        h->attach(gone);
    }
    const auto all = h->listeners();
    REQUIRE(all.size() == 2);
    CHECK(all[0].peer == "127.0.0.1:5000");
    CHECK(all[0].user_agent == "VLC/3.0");
    CHECK(all[0].bytes == 4096);
    CHECK(all[1].peer == "[::1]:6000");
    second.reset();
    REQUIRE(h->listeners().size() == 1);
}
