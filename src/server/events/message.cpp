// Serialization of the feed's messages with nlohmann::json: keys in a fixed order (`type` first,
// then `seq`), stream time both as the exact frame and in seconds.
#include "server/events/message.hpp"

#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace timeside::server::events {

using ordered = nlohmann::ordered_json;

nlohmann::json json_number(double v) {
    if (!std::isfinite(v)) return nullptr;
    return v;
}

namespace {

ordered number(double v) { return std::isfinite(v) ? ordered(v) : ordered(nullptr); }

ordered values(const std::vector<double>& v) {
    if (v.size() == 1) return number(v.front());
    ordered a = ordered::array();
    for (double x : v) a.push_back(number(x));
    return a;
}

double seconds(int64_t frames, int samplerate) {
    return samplerate > 0 ? static_cast<double>(frames) / samplerate : 0.0;
}

message_ptr finish(uint64_t seq, std::string result_id, int rate, const ordered& j,
                   std::chrono::steady_clock::time_point made) {
    auto m = std::make_shared<message>();
    m->seq = seq;
    m->result_id = std::move(result_id);
    m->rate = rate;
    m->made = made;
    m->json = j.dump();
    m->sse_head = fmt::format("id: {}\ndata: ", seq);
    return m;
}

}  // namespace

message_ptr make_event_message(uint64_t seq, const analysis_event& e, std::chrono::steady_clock::time_point made) {
    ordered j{{"type", "analysis"}, {"seq", seq}, {"result", e.result_id}, {"frame", e.frame},
              {"t", seconds(e.frame, e.samplerate)}, {"duration", seconds(e.duration_frames, e.samplerate)}};
    if (e.label) j["label"] = *e.label;
    if (!e.values.empty() || !e.label) j["value"] = values(e.values);
    return finish(seq, e.result_id, 0, j, made);
}

message_ptr make_interval_message(uint64_t seq, int rate, const interval_values& v,
                                  std::chrono::steady_clock::time_point made) {
    ordered j{{"type", "analysis"}, {"seq", seq}, {"result", v.result_id}, {"frame", v.frame},
              {"t", seconds(v.frame, v.samplerate)}, {"duration", seconds(v.end_frame - v.frame, v.samplerate)},
              {"value", values(v.mean)}, {"min", values(v.min)}, {"max", values(v.max)}, {"count", v.count}};
    return finish(seq, v.result_id, rate, j, made);
}

message_ptr make_news_message(uint64_t seq, const news& n, std::chrono::steady_clock::time_point made) {
    ordered j{{"type", "news"}, {"seq", seq}, {"news", n.what}};
    if (n.frame >= 0) {
        j["frame"] = n.frame;
        j["t"] = seconds(n.frame, n.samplerate);
    }
    if (n.what == "title") j["title"] = n.text;
    else if (n.what == "source_connected") j["source"] = n.text;
    else if (n.what == "source_lost") j["error"] = n.text;
    else if (n.what == "closing") j["reason"] = n.text;
    if (n.count >= 0) j["listeners"] = n.count;
    auto m = finish(seq, {}, 0, j, made);
    if (n.what == "closing") std::const_pointer_cast<message>(m)->closing = n.text;
    return m;
}

std::string error_json(const std::string& code, const std::string& field, const std::string& text) {
    ordered j{{"type", "error"}, {"error", code}};
    if (!field.empty()) j["field"] = field;
    j["message"] = text;
    return j.dump();
}

std::string pong_json(const nlohmann::json* id, int64_t frame, int samplerate) {
    ordered j{{"type", "pong"}};
    if (id) j["id"] = ordered::parse(id->dump());
    j["frame"] = frame;
    j["t"] = seconds(frame, samplerate);
    return j.dump();
}

}  // namespace timeside::server::events
