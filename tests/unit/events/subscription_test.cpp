// What clients send: every malformed message becomes an error naming its field, never an
// exception; filters match an analyzer's results or one result exactly.
#include "server/events/subscription.hpp"

#include <catch2/catch.hpp>

#include "core/errors.hpp"

using namespace timeside;
using namespace timeside::server::events;

namespace {
catalog test_catalog() {
    catalog c;
    c.mount = "m";
    c.analyzers.push_back({"level", "Level", "dBFS", {{"level.max", "", "", time_mode::global, data_mode::value}}});
    c.analyzers.push_back({"aubio_temporal", "", "", {{"aubio_temporal.onset", "", "", time_mode::event, data_mode::label}}});
    return c;
}
}  // namespace

TEST_CASE("a subscribe sets analyzers, rate and sid; the filter matches results of an analyzer", "[events]") {
    const auto c = test_catalog();
    auto m = parse_client_message(R"({"type":"subscribe","analyzers":["level","aubio_temporal.onset"],"rate":5,"sid":"abc"})", c);
    REQUIRE(m.type == client_message::kind::subscribe);
    CHECK(m.sub.rate == 5);
    CHECK(m.sub.sid == "abc");
    CHECK_FALSE(m.sub.columns);
    CHECK(parse_client_message(R"({"type":"subscribe","spectrogram":"u8"})", c).sub.columns);
    CHECK(m.sub.wants("level.max"));
    CHECK(m.sub.wants("level"));
    CHECK(m.sub.wants("aubio_temporal.onset"));
    CHECK_FALSE(m.sub.wants("aubio_temporal.beat"));
    CHECK_FALSE(m.sub.wants("levelx.max"));
    CHECK(subscription{}.wants("anything"));
    CHECK(subscription{}.rate == 20);
    auto p = parse_client_message(R"({"type":"ping","id":[1,2]})", c);
    REQUIRE(p.type == client_message::kind::ping);
    CHECK(p.ping_id == nlohmann::json::array({1, 2}));
}

TEST_CASE("a bad client message is answered with the problem and its field", "[events]") {
    const auto c = test_catalog();
    struct bad {
        const char* text;
        const char* error;
        const char* field;
    };
    for (const bad& b : {bad{"{", "bad_json", ""}, bad{"42", "bad_json", ""}, bad{R"({"rate":1})", "bad_field", "type"},
                         bad{R"({"type":7})", "bad_field", "type"}, bad{R"({"type":"hello"})", "unknown_type", "type"},
                         bad{R"({"type":"subscribe","rate":51})", "bad_field", "rate"},
                         bad{R"({"type":"subscribe","rate":2.5})", "bad_field", "rate"},
                         bad{R"({"type":"subscribe","analyzers":"level"})", "bad_field", "analyzers"},
                         bad{R"({"type":"subscribe","analyzers":["level",3]})", "bad_field", "analyzers[1]"},
                         bad{R"({"type":"subscribe","analyzers":["pitch"]})", "bad_field", "analyzers[0]"},
                         bad{R"({"type":"subscribe","sid":1})", "bad_field", "sid"},
                         bad{R"({"type":"subscribe","spectrogram":"u16"})", "bad_field", "spectrogram"},
                         bad{R"({"type":"ping","x":1})", "bad_field", "x"}}) {
        INFO(b.text);
        const auto m = parse_client_message(b.text, c);
        CHECK(m.type == client_message::kind::invalid);
        CHECK(m.error == b.error);
        CHECK(m.field == b.field);
        CHECK_FALSE(m.text.empty());
    }
    CHECK(parse_client_message(R"({"type":"subscribe","analyzers":["pitch"]})", c).text.find("level, aubio_temporal") !=
          std::string::npos);
}

TEST_CASE("an SSE query gives the subscription; a bad parameter is a usage error naming it", "[events]") {
    const auto c = test_catalog();
    const auto s = subscription_from_query({{"analyzers", std::string("level,aubio_temporal.onset")}, {"rate", int64_t{4}}}, c, false);
    REQUIRE(s.analyzers);
    CHECK(*s.analyzers == std::vector<std::string>{"level", "aubio_temporal.onset"});
    CHECK(s.rate == 4);
    CHECK_THROWS_WITH(subscription_from_query({{"rate", std::string("fast")}}, c, false), Catch::Contains("rate"));
    CHECK_THROWS_WITH(subscription_from_query({{"analyzers", std::string("nope")}}, c, false), Catch::Contains("'nope'"));
    CHECK_THROWS_WITH(subscription_from_query({{"colour", std::string("red")}}, c, false), Catch::Contains("colour"));
    // Binary columns only where the transport carries binary (a WebSocket, not SSE).
    CHECK_THROWS_WITH(subscription_from_query({{"spectrogram", std::string("u8")}}, c, false), Catch::Contains("WebSocket"));
    CHECK(subscription_from_query({{"spectrogram", std::string("u8")}}, c, true).columns);
    const auto j = nlohmann::json::parse(subscribed_json(s, "asked"));
    CHECK(j["type"] == "subscribed");
    CHECK(j["rate"] == 4);
    CHECK(j["start_frame"].is_null());
    CHECK(j["spectrogram"].is_null());
    CHECK(j["reason"] == "asked");
}
