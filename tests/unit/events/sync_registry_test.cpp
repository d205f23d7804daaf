// The sid registry: listeners recorded and replaced, subscribers told, entries gone after the
// grace; the sid rules; start_frame in the subscription's JSON and its own message.
#include "server/events/sync_registry.hpp"

#include <catch2/catch.hpp>

#include "server/events/subscription.hpp"

using namespace timeside::server::events;
using namespace std::chrono_literals;

namespace {
struct recording_watcher : sync_watcher {
    std::vector<listener_start> told;
    void on_listener_start(const listener_start& s) override { told.push_back(s); }
};
const sync_registry::clock::time_point t0{};
}  // namespace

TEST_CASE("a subscriber learns the start frame of its sid's listener, before or after it starts",
          "[events][sync]") {
    sync_registry r(10s);
    auto before = std::make_shared<recording_watcher>();
    CHECK_FALSE(r.watch("abc", before, t0));
    const uint64_t id = r.started("abc", "/live/m.mp3", 123456, t0);
    CHECK(id != 0);
    REQUIRE(before->told.size() == 1);
    CHECK(before->told[0].start_frame == 123456);
    CHECK(before->told[0].output == "/live/m.mp3");
    CHECK(before->told[0].listener == id);

    auto after = std::make_shared<recording_watcher>();
    const auto now = r.watch("abc", after, t0 + 1s);
    REQUIRE(now);
    CHECK(now->start_frame == 123456);
    CHECK(after->told.empty());
    CHECK_FALSE(r.watch("other", after, t0 + 1s));  // another sid: nothing

    SECTION("a reconnect is a new listener with a new start frame; both watchers are told") {
        const uint64_t again = r.started("abc", "/live/m.ogg", 200000, t0 + 2s);
        CHECK(again != id);
        REQUIRE(before->told.size() == 2);
        CHECK(before->told[1].start_frame == 200000);
        CHECK(before->told[1].output == "/live/m.ogg");
        REQUIRE(after->told.size() == 1);
        // The old listener closing late does not end the new one's entry.
        r.closed("abc", id, t0 + 3s);
        CHECK(r.watch("abc", std::make_shared<recording_watcher>(), t0 + 60s)->start_frame == 200000);
    }
    SECTION("unwatched or gone watchers are not told") {
        r.unwatch("abc", before.get());
        after.reset();
        r.started("abc", "/live/m.mp3", 5, t0 + 2s);
        CHECK(before->told.size() == 1);
        // abc's expired watcher was dropped when it would have been told; "other"'s waits for its sid
        // (sessions unwatch when they leave: this is only for one that could not).
        CHECK(r.watchers() == 1);
    }
}

TEST_CASE("an entry stays the grace after its listener closed, then leaves", "[events][sync]") {
    sync_registry r(10s);
    const uint64_t id = r.started("abc", "/live/m.mp3", 42, t0);
    r.started("open", "/live/m.mp3", 7, t0);
    r.closed("abc", id, t0 + 1s);
    auto w = std::make_shared<recording_watcher>();
    CHECK(r.watch("abc", w, t0 + 10s)->start_frame == 42);  // 9 s after: still there
    CHECK_FALSE(r.watch("abc", w, t0 + 11s));               // 10 s after: gone
    CHECK(r.entries() == 1);                                // the open listener's stays
    CHECK(r.watch("open", w, t0 + 1000s)->start_frame == 7);
}

TEST_CASE("the registry is bounded: past max_entries a listener plays on unrecorded", "[events][sync]") {
    sync_registry r(10s, 2);
    CHECK(r.started("a", "/live/m.mp3", 1, t0) != 0);
    const uint64_t b = r.started("b", "/live/m.mp3", 2, t0);
    CHECK(r.started("c", "/live/m.mp3", 3, t0) == 0);
    CHECK(r.started("a", "/live/m.mp3", 4, t0) != 0);  // a known sid is replaced, not added
    r.closed("b", b, t0);
    CHECK(r.started("c", "/live/m.mp3", 3, t0 + 10s) != 0);  // b's grace is over: room again
    CHECK(r.entries() == 2);
}

TEST_CASE("a sid is 1 to 128 URL-safe characters", "[events][sync]") {
    CHECK(sid_problem("a").empty());
    CHECK(sid_problem("Good.token_1~x-Z9").empty());
    CHECK(sid_problem(std::string(128, 'x')).empty());
    CHECK_FALSE(sid_problem("").empty());
    CHECK_FALSE(sid_problem(std::string(129, 'x')).empty());
    CHECK_FALSE(sid_problem("has space").empty());
    CHECK_FALSE(sid_problem("a/b").empty());
    CHECK_FALSE(sid_problem("\xc3\xa9t\xc3\xa9").empty());
    catalog c;
    auto m = parse_client_message(R"({"type":"subscribe","sid":"a b"})", c);
    CHECK(m.type == client_message::kind::invalid);
    CHECK(m.field == "sid");
    CHECK(parse_client_message(R"({"type":"subscribe","sid":null})", c).sub.sid.empty());
}

TEST_CASE("the subscription carries the start frame and its output; a start has its own message",
          "[events][sync]") {
    subscription s;
    s.sid = "abc";
    auto j = s.to_json();
    CHECK(j["start_frame"].is_null());
    CHECK(j["output"].is_null());
    s.start_frame = -1105;  // a listener that joined at the stream's first MP3 frame
    s.output = "/live/m.mp3";
    j = s.to_json();
    CHECK(j["start_frame"] == -1105);
    CHECK(j["output"] == "/live/m.mp3");
    CHECK(start_frame_json("abc", "/live/m.mp3", 88200, 44100) ==
          R"({"type":"start_frame","sid":"abc","output":"/live/m.mp3","start_frame":88200,"t":2.0})");
}
