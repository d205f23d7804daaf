// The feed's messages as subscribers read them: each serialized once, with the stream time both
// as the exact frame and in seconds, values that JSON cannot hold as null, and the SSE head
// carrying the same sequence number as the JSON.
#include "server/events/message.hpp"

#include <cmath>
#include <cstring>
#include <limits>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace timeside;
using namespace timeside::server::events;
using nlohmann::json;

namespace {
const auto made = std::chrono::steady_clock::now();
}

TEST_CASE("an onset event carries its frame, its time in seconds and its label", "[events]") {
    analysis_event e{"aubio_temporal.onset", 88200, 44100, 0, {}, 1};
    auto m = make_event_message(17, e, made);
    const json j = json::parse(m->json);
    CHECK(j["type"] == "analysis");
    CHECK(j["seq"] == 17);
    CHECK(j["result"] == "aubio_temporal.onset");
    CHECK(j["frame"] == 88200);
    CHECK(j["t"].get<double>() == 2.0);
    CHECK(j["duration"].get<double>() == 0.0);
    CHECK(j["label"] == 1);
    CHECK_FALSE(j.contains("value"));
    CHECK(m->sse_head == "id: 17\ndata: ");
    CHECK(m->result_id == "aubio_temporal.onset");
    CHECK(m->rate == 0);  // for every subscriber
    CHECK(m->json.find('\n') == std::string::npos);  // one SSE data line
}

TEST_CASE("a valued event keeps every component; non-finite values become null", "[events]") {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    analysis_event e{"aubio_temporal.beat_confidence", 1000, 48000, 480, {0.25}, {}};
    const json one = json::parse(make_event_message(3, e, made)->json);
    CHECK(one["value"].get<double>() == 0.25);
    CHECK(one["duration"].get<double>() == 0.01);
    e.values = {1.5, nan, -std::numeric_limits<double>::infinity()};
    const json three = json::parse(make_event_message(4, e, made)->json);
    CHECK(three["value"] == json::array({1.5, nullptr, nullptr}));
}

TEST_CASE("an interval message carries the mean, min, max and count of its rows, for its rate only", "[events]") {
    interval_values v{"level.rms", 44100, 4410, 6615, 2, {-20.0}, {-30.0}, {-10.0}};
    auto m = make_interval_message(9, 20, v, made);
    const json j = json::parse(m->json);
    CHECK(j["frame"] == 4410);
    CHECK(j["t"].get<double>() == 0.1);
    CHECK(j["duration"].get<double>() == Approx(2205.0 / 44100));
    CHECK(j["value"].get<double>() == -20.0);
    CHECK(j["min"].get<double>() == -30.0);
    CHECK(j["max"].get<double>() == -10.0);
    CHECK(j["count"] == 2);
    CHECK(m->rate == 20);
}

TEST_CASE("news name what changed; the closing news marks the message", "[events]") {
    const json title = json::parse(make_news_message(5, news{"title", 44100, 44100, "Artist - Song", -1}, made)->json);
    CHECK(title == json{{"type", "news"}, {"seq", 5}, {"news", "title"}, {"frame", 44100}, {"t", 1.0}, {"title", "Artist - Song"}});
    const json count = json::parse(make_news_message(6, news{"listeners", -1, 44100, {}, 12}, made)->json);
    CHECK(count == json{{"type", "news"}, {"seq", 6}, {"news", "listeners"}, {"listeners", 12}});
    auto closing = make_news_message(7, news{"closing", 0, 44100, "restarted", -1}, made);
    CHECK(closing->closing == "restarted");
    CHECK(json::parse(closing->json)["reason"] == "restarted");
    CHECK(make_news_message(8, news{"fallback_started", 10, 44100, {}, -1}, made)->closing.empty());
}

TEST_CASE("errors name the field; pongs echo the ping's id", "[events]") {
    CHECK(json::parse(error_json("bad_field", "rate", "expected a number")) ==
          json{{"type", "error"}, {"error", "bad_field"}, {"field", "rate"}, {"message", "expected a number"}});
    CHECK_FALSE(json::parse(error_json("bad_json", "", "not JSON")).contains("field"));
    const json id = {{"n", 1}};
    CHECK(json::parse(pong_json(&id, 88200, 44100)) == json{{"type", "pong"}, {"id", id}, {"frame", 88200}, {"t", 2.0}});
    CHECK_FALSE(json::parse(pong_json(nullptr, 0, 44100)).contains("id"));
}

TEST_CASE("a spectrum column: its header, then each bin's mean in dB of full scale on 8 bits", "[events]") {
    // bins: full scale (0 dB), -60 dB, silence, above full scale (clamped)
    interval_values v{"spectrogram_analyzer", 44100, 88200, 90405, 4, {1024, 1.024, 0, 4096}, {}, {}};
    auto m = make_column_message(77, 20, v, 1024, made);
    REQUIRE(m->binary);
    const std::string& b = m->json;
    auto read = [&](size_t at, auto value) {
        std::memcpy(&value, b.data() + at, sizeof value);
        return value;
    };
    CHECK(read(0, uint8_t{}) == 1);   // version
    CHECK(read(1, uint8_t{}) == 1);   // kind: spectrum column
    CHECK(read(2, uint16_t{}) == 4);  // bins
    CHECK(read(4, uint32_t{}) == 4);  // rows aggregated
    CHECK(read(8, uint64_t{}) == 77);
    CHECK(read(16, int64_t{}) == 88200);
    CHECK(read(24, uint32_t{}) == 2205);
    CHECK(read(28, uint32_t{}) == 44100);
    REQUIRE(read(32, uint8_t{}) == 20);
    CHECK(b.substr(33, 20) == "spectrogram_analyzer");
    REQUIRE(b.size() == 33 + 20 + 4);
    const auto* q = reinterpret_cast<const uint8_t*>(b.data() + 53);
    CHECK(q[0] == 255);
    CHECK(q[1] == 128);  // -60 dB: half of the -120..0 dB range
    CHECK(q[2] == 0);
    CHECK(q[3] == 255);
}
