// The level analyzer's per-channel values through the feed, end to end without sockets: the real
// analyzer on a stereo signal, its catalog's hello, and the hub's decimated messages, each checked
// against the peak and RMS of the interval's samples computed here, channel by channel.
#include <algorithm>
#include <cmath>
#include <map>
#include <memory>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "analyzers/level.hpp"
#include "core/pipe.hpp"
#include "core/registry.hpp"
#include "decoders/array_decoder.hpp"
#include "server/events/catalog.hpp"
#include "server/events/event_hub.hpp"

using namespace timeside;
using namespace timeside::server::events;

namespace {

struct quiet_reader : feed_reader {
    void on_messages() override {}
    void on_behind() override {}
    void on_rate_changed(int, bool) override {}
    void on_hub_closed(message_ptr) override {}
};

struct run_output {
    std::shared_ptr<const catalog> cat;
    std::vector<nlohmann::json> messages;  // the analysis messages a reader at `rate` took
};

// `samples` (interleaved) through level, its events through a hub read at `rate`.
run_output feed(const std::vector<float>& samples, int channels, int rate) {
    constexpr int samplerate = 44100;
    auto lv = get_processor_as<level>("level");
    std::vector<analysis_event> events;
    lv->set_event_sink([&](const analysis_event& e) { events.push_back(e); });
    (array_decoder::from_samples(samples, samplerate, channels, 1024) | lv).run();
    run_output out;
    out.cat = make_item_catalog("stereo", samplerate, channels, -1, {lv});
    event_hub_settings s;
    s.mount_id = "stereo";
    s.samplerate = samplerate;
    s.first_seq = 1;
    event_hub hub(s);
    hub.set_catalog(out.cat);
    auto reader = std::make_shared<quiet_reader>();
    std::optional<resume_info> resume;
    uint64_t cursor = hub.attach(reader, rate, false, std::nullopt, resume);
    for (const auto& e : events) hub.publish(e);
    hub.finish([](uint64_t seq, auto made) { return make_news_message(seq, {"closing", -1, 0, "stopped", -1}, made); });
    std::vector<message_ptr> got;
    while (hub.take(cursor, rate, got, 64, nullptr) == event_hub::take_result::data) {
    }
    for (const auto& m : got) {
        auto j = nlohmann::json::parse(m->json);
        if (j["type"] == "analysis") out.messages.push_back(std::move(j));
    }
    return out;
}

double peak_db(const std::vector<float>& x, int channels, int c, int64_t from, int64_t to) {
    float peak = 0;
    for (int64_t i = from; i < to; ++i) peak = std::max(peak, std::fabs(x[static_cast<size_t>(i * channels + c)]));
    return level::to_db(peak);
}

double rms_db(const std::vector<float>& x, int channels, int c, int64_t from, int64_t to) {
    double sum = 0;
    for (int64_t i = from; i < to; ++i) {
        const double v = x[static_cast<size_t>(i * channels + c)];
        sum += v * v;
    }
    return level::to_db(std::sqrt(sum / static_cast<double>(to - from)));
}

}  // namespace

TEST_CASE("the hello tells a per-channel result's count and each level result's aggregate", "[events][level]") {
    const auto out = feed(std::vector<float>(4096, 0.25f), 2, 20);
    const auto hello = nlohmann::json::parse(hello_json(*out.cat, 0, 0, nlohmann::json::object(), std::nullopt));
    std::map<std::string, nlohmann::json> results;
    for (const auto& a : hello["analyzers"])
        for (const auto& r : a["results"]) results[r["id"]] = r;
    REQUIRE(results.size() == 4);
    CHECK(results["level.channel_max"]["values"] == nlohmann::json({{"count", 2}, {"per", "channel"}}));
    CHECK(results["level.channel_rms"]["values"] == nlohmann::json({{"count", 2}, {"per", "channel"}}));
    CHECK_FALSE(results["level.max"].contains("values"));
    CHECK(results["level.max"]["aggregate"] == "max");
    CHECK(results["level.channel_max"]["aggregate"] == "max");
    CHECK(results["level.rms"]["aggregate"] == "power_mean");
    CHECK(results["level.channel_rms"]["aggregate"] == "power_mean");
}

TEST_CASE("each interval message carries each channel's peak and RMS of the interval's samples", "[events][level]") {
    // Left a 440 Hz sine at 0.5 swelling to 1 over the second; right a 3 kHz sine at 0.1 with
    // a 0.6 burst from 0.5 s to 0.52 s: the two channels' values differ in every interval.
    constexpr int samplerate = 44100, channels = 2;
    std::vector<float> x;
    for (int i = 0; i < samplerate * 2; ++i) {
        const double t = static_cast<double>(i) / samplerate;
        x.push_back(static_cast<float>((0.5 + 0.5 * std::min(1.0, t)) * std::sin(2 * M_PI * 440 * t)));
        x.push_back(static_cast<float>((t >= 0.5 && t < 0.52 ? 0.6 : 0.1) * std::sin(2 * M_PI * 3000 * t)));
    }
    const auto out = feed(x, channels, 20);
    int peaks = 0, rmss = 0;
    int64_t covered = 0;
    for (const auto& m : out.messages) {
        const std::string id = m["result"];
        if (id != "level.channel_max" && id != "level.channel_rms") continue;
        const int64_t from = m["frame"], to = from + std::llround(m["duration"].get<double>() * samplerate);
        REQUIRE(m["value"].is_array());
        REQUIRE(m["value"].size() == 2);
        for (int c = 0; c < channels; ++c) {
            if (id == "level.channel_max") {
                CHECK(m["value"][c].get<double>() == Approx(peak_db(x, channels, c, from, to)).margin(1e-9));
                CHECK(m["value"][c] == m["max"][c]);
            } else {
                CHECK(m["value"][c].get<double>() == Approx(rms_db(x, channels, c, from, to)).margin(1e-6));
            }
        }
        if (id == "level.channel_max") {
            CHECK(from == covered);
            covered = to;
            ++peaks;
        } else {
            ++rmss;
        }
    }
    CHECK(covered == samplerate * 2);  // every frame in one interval, the last one flushed at the end
    CHECK(peaks == rmss);
    CHECK(peaks >= 39);  // 2 s at 20 a second (intervals of 2205 frames, rows of 1024)
}

TEST_CASE("a mono feed's per-channel values are single numbers, equal to the overall ones", "[events][level]") {
    std::vector<float> x(44100);
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(0.3 * std::sin(i * 0.07));
    const auto out = feed(x, 1, 10);
    const auto hello = nlohmann::json::parse(hello_json(*out.cat, 0, 0, nlohmann::json::object(), std::nullopt));
    CHECK(hello["analyzers"][0]["results"][2]["values"]["count"] == 1);
    std::map<std::pair<std::string, int64_t>, double> by;
    for (const auto& m : out.messages) {
        REQUIRE(m["value"].is_number());
        by[{m["result"], m["frame"]}] = m["value"];
    }
    REQUIRE(by.size() == 40);  // 4 results, 10 intervals
    for (const auto& [key, v] : by) {
        if (key.first == "level.channel_max") CHECK(v == by.at({"level.max", key.second}));
        if (key.first == "level.channel_rms") CHECK(v == Approx(by.at({"level.rms", key.second})).margin(1e-9));
    }
}
