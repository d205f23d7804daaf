// An item's feed without sockets or jobs: the hub's finite-feed additions (a subscriber starting
// from the ring's oldest message, the open intervals flushed before the final message, nothing
// after it), the progress and end messages, and an item_run's subscribers: its last one leaving
// before the end cancels the run, one leaving after it does not; subscribers wait for the setup.
#include "server/events/item_feed.hpp"
#include "server/events/ws_frame.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

using namespace timeside;
using namespace timeside::server::events;

namespace {

struct quiet_reader : feed_reader {
    void on_messages() override {}
    void on_behind() override {}
    void on_rate_changed(int, bool) override {}
    void on_hub_closed(message_ptr) override {}
};

event_hub_settings item_settings() {
    event_hub_settings s;
    s.mount_id = "items/clicks";
    s.samplerate = 44100;
    s.first_seq = 500;
    s.from_start = true;
    s.resume_seconds = 1e9;
    s.check_seconds = 1e9;
    return s;
}

analysis_event row(int64_t frame, double v) {
    return {"level.rms", frame, 44100, 1024, {v}, {}};
}

std::vector<nlohmann::json> take_json(event_hub& h, uint64_t& cursor, int rate) {
    std::vector<message_ptr> out;
    while (h.take(cursor, rate, out, 64, nullptr) == event_hub::take_result::data) {
    }
    std::vector<nlohmann::json> j;
    for (const auto& m : out) j.push_back(nlohmann::json::parse(m->json));
    return j;
}

message_ptr end_complete(uint64_t seq, std::chrono::steady_clock::time_point made) {
    return make_end_message(seq, "complete", "", 88200, 44100, {"level.rms"},
                            "/api/items/clicks/results?processors=level&format=json", made);
}

}  // namespace

TEST_CASE("a finite feed's late subscriber starts from the run's first message and gets the last interval",
          "[events]") {
    auto h = std::make_shared<event_hub>(item_settings());
    // Two seconds of rows, a 1024-frame row each, before anyone subscribes.
    int rows = 0;
    for (int64_t f = 0; f < 88200; f += 1024, ++rows) h->publish(row(f, -20 - static_cast<double>(f % 3)));
    auto late = std::make_shared<quiet_reader>();
    std::optional<resume_info> resume;
    uint64_t cursor = h->attach(late, 20, false, std::nullopt, resume);
    CHECK(cursor == 499);  // before the first message: the hello's seq
    h->finish(end_complete);
    const auto got = take_json(*h, cursor, 20);
    REQUIRE_FALSE(got.empty());
    CHECK(got.back()["type"] == "end");
    // Every row is in exactly one interval, the last one (still open at the end) included.
    size_t counted = 0;
    int64_t next_frame = 0;
    for (size_t i = 0; i + 1 < got.size(); ++i) {
        CHECK(got[i]["frame"].get<int64_t>() >= next_frame);
        next_frame = got[i]["frame"].get<int64_t>() + 1;
        counted += got[i]["count"].get<size_t>();
    }
    CHECK(counted == static_cast<size_t>(rows));
    CHECK(got.size() == 40 + 1);  // 20 a second over 2 s, then the end
    // Nothing after the end; joins refused.
    h->publish(row(90000, -1));
    CHECK(take_json(*h, cursor, 20).empty());
    CHECK_FALSE(h->try_join().slot);
}

TEST_CASE("a mount's subscriber still starts from now", "[events]") {
    auto s = item_settings();
    s.from_start = false;
    auto h = std::make_shared<event_hub>(s);
    for (int64_t f = 0; f < 44100; f += 1024) h->publish(row(f, -20));
    auto r = std::make_shared<quiet_reader>();
    std::optional<resume_info> resume;
    CHECK(h->attach(r, 20, false, std::nullopt, resume) == h->last_seq());
}

TEST_CASE("progress and end messages say the frames, the fraction and the outcome", "[events]") {
    const auto now = std::chrono::steady_clock::now();
    auto p = nlohmann::json::parse(make_progress_message(7, 22050, 88200, 44100, now)->json);
    CHECK(p["type"] == "progress");
    CHECK(p["seq"] == 7);
    CHECK(p["frame"] == 22050);
    CHECK(p["t"] == 0.5);
    CHECK(p["fraction"] == 0.25);
    CHECK(p["total_frames"] == 88200);
    auto unknown = nlohmann::json::parse(make_progress_message(8, 22050, -1, 44100, now)->json);
    CHECK(unknown["fraction"].is_null());
    CHECK(unknown["total_frames"].is_null());

    auto done = end_complete(9, now);
    CHECK(done->closing == "end");
    auto e = nlohmann::json::parse(done->json);
    CHECK(e["outcome"] == "complete");
    CHECK(e["t"] == 2.0);
    CHECK(e["results"] == nlohmann::json::array({"level.rms"}));
    CHECK(e["url"] == "/api/items/clicks/results?processors=level&format=json");
    CHECK_FALSE(e.contains("error"));
    auto failed = nlohmann::json::parse(
        make_end_message(10, "failed", "clicks.wav: not audio", 0, 44100, {}, "u", now)->json);
    CHECK(failed["error"] == "clicks.wav: not audio");
    CHECK_FALSE(failed.contains("results"));
    CHECK_FALSE(failed.contains("url"));

    // Framed once for every subscriber, like a mount's messages: a text frame of exactly the JSON.
    for (const auto& m : {make_progress_message(7, 22050, 88200, 44100, now), done}) {
        CHECK(m->ws_head == ws::frame_head(ws::opcode::text, m->json.size()));
        CHECK(m->sse_head == fmt::format("id: {}\ndata: ", m->seq));
    }
}

TEST_CASE("an item run is cancelled when its last subscriber leaves before the end, not after", "[events]") {
    item_feed_info info{"clicks", 44100, 1, 2.0, "/api/items/clicks/results?processors=level&format=json"};
    auto run = std::make_shared<item_run>("k1", info, item_settings());
    std::atomic<int> cancels{0};
    run->set_job(nullptr, [&] { ++cancels; });
    auto a = run->join(20, false).slot, b = run->join(20, false).slot;
    REQUIRE(a);
    REQUIRE(b);
    CHECK(run->subscribers() == 2);
    a.reset();
    CHECK(cancels == 0);  // one still watches
    b.reset();
    CHECK(cancels == 1);
    CHECK(run->hub()->counters().subscribers == 0);

    auto finished = std::make_shared<item_run>("k2", info, item_settings());
    std::atomic<int> cancels2{0};
    finished->set_job(nullptr, [&] { ++cancels2; });
    auto c = finished->join(20, false).slot;
    finished->on_outcome("done", "");
    CHECK(finished->state() == "complete");
    c.reset();
    CHECK(cancels2 == 0);
    CHECK_FALSE(finished->join(20, false).slot);  // the feed has ended
}

TEST_CASE("subscribers of an item run start once it is set up, or once it ended without a setup",
          "[events]") {
    item_feed_info info{"clicks", 44100, 1, 2.0, "u"};
    auto run = std::make_shared<item_run>("k", info, item_settings());
    int started = 0;
    run->when_ready([&] { ++started; });
    CHECK(started == 0);
    CHECK(run->hub()->get_catalog()->item == "clicks");  // the hello names the item already
    run->on_outcome("failed", "clicks.wav: cannot decode");
    CHECK(started == 1);
    run->when_ready([&] { ++started; });
    CHECK(started == 2);
    auto r = std::make_shared<quiet_reader>();
    std::optional<resume_info> resume;
    uint64_t cursor = run->hub()->attach(r, 20, false, std::nullopt, resume);
    const auto got = take_json(*run->hub(), cursor, 20);
    REQUIRE(got.size() == 1);
    CHECK(got[0]["type"] == "end");
    CHECK(got[0]["outcome"] == "failed");
    CHECK(got[0]["error"] == "clicks.wav: cannot decode");
}

TEST_CASE("a subscriber joined before the run publishes gets its rate's intervals from the start",
          "[events]") {
    item_feed_info info{"clicks", 44100, 1, 2.0, "u"};
    auto run = std::make_shared<item_run>("k", info, item_settings());
    auto place = run->join(50, false).slot;  // the route joins before the job starts
    REQUIRE(place);
    for (int64_t f = 0; f < 44100; f += 512) run->hub()->publish(row(f, -30));
    // Its session attaches later (after the handshake): the ring still has rate 50 from frame 0.
    auto session = std::make_shared<quiet_reader>();
    std::optional<resume_info> resume;
    uint64_t cursor = run->hub()->attach(session, 50, false, std::nullopt, resume);
    std::vector<int64_t> frames;  // its intervals' first frames
    for (const auto& m : take_json(*run->hub(), cursor, 50))
        if (m.contains("count")) frames.push_back(m["frame"]);
    REQUIRE_FALSE(frames.empty());
    CHECK(frames.front() == 0);
    CHECK(frames.size() == 49);  // 1 s at 50 a second, the last interval still open
    run->hub()->detach(session.get());
    place.reset();
    CHECK(run->subscribers() == 0);
    CHECK(run->hub()->counters().subscribers == 0);
}

TEST_CASE("an item's hello names the item and its duration, no mount or outputs", "[events]") {
    auto c = make_item_catalog("albums/x/track01", 48000, 2, 12.5, {});
    auto j = nlohmann::json::parse(hello_json(*c, 96000, 41, nlohmann::json::object(), std::nullopt));
    CHECK(j["type"] == "hello");
    CHECK(j["item"] == "albums/x/track01");
    CHECK(j["samplerate"] == 48000);
    CHECK(j["channels"] == 2);
    CHECK(j["duration"] == 12.5);
    CHECK(j["frame"] == 96000);
    CHECK(j["t"] == 2.0);
    CHECK(j["seq"] == 41);
    CHECK_FALSE(j.contains("mount"));
    CHECK_FALSE(j.contains("outputs"));
    auto unknown = nlohmann::json::parse(
        hello_json(*make_item_catalog("x", 44100, 1, -1, {}), 0, 0, nlohmann::json::object(), std::nullopt));
    CHECK(unknown["duration"].is_null());
}
