// Serialization of the feed's messages with nlohmann::json: keys in a fixed order (`type` first,
// then `seq`), stream time both as the exact frame and in seconds.
#include "server/events/message.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "server/events/ws_frame.hpp"

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
                   std::chrono::steady_clock::time_point made, std::string closing = {}) {
    return make_text_message(seq, j.dump(), made, std::move(result_id), rate, std::move(closing));
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

namespace {
template <class T>
void put(std::string& out, T v) {  // little-endian, as every platform this builds on
    char bytes[sizeof v];
    std::memcpy(bytes, &v, sizeof v);
    out.append(bytes, sizeof v);
}
}  // namespace

message_ptr make_column_message(uint64_t seq, int rate, const interval_values& v, double full_scale,
                                std::chrono::steady_clock::time_point made) {
    auto m = std::make_shared<message>();
    m->seq = seq;
    m->result_id = v.result_id;
    m->rate = rate;
    m->made = made;
    m->binary = true;
    std::string& out = m->json;
    const auto id_length = static_cast<uint8_t>(std::min<size_t>(v.result_id.size(), 255));
    out.reserve(32 + id_length + v.mean.size());
    put<uint8_t>(out, 1);  // version
    put<uint8_t>(out, 1);  // kind: a spectrum column
    put<uint16_t>(out, static_cast<uint16_t>(std::min<size_t>(v.mean.size(), 65535)));
    put<uint32_t>(out, static_cast<uint32_t>(v.count));
    put<uint64_t>(out, seq);
    put<int64_t>(out, v.frame);
    put<uint32_t>(out, static_cast<uint32_t>(v.end_frame - v.frame));
    put<uint32_t>(out, static_cast<uint32_t>(v.samplerate));
    put<uint8_t>(out, id_length);
    out.append(v.result_id, 0, id_length);
    const double span = column_max_db - column_min_db;
    for (size_t k = 0; k < v.mean.size() && k < 65535; ++k) {
        const double magnitude = v.mean[k] / full_scale;
        const double db = magnitude > 0 && std::isfinite(magnitude) ? 20 * std::log10(magnitude) : column_min_db;
        out.push_back(static_cast<char>(static_cast<uint8_t>(std::lround(255 * std::clamp((db - column_min_db) / span, 0.0, 1.0)))));
    }
    m->ws_head = ws::frame_head(ws::opcode::binary, out.size());
    return m;
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
    return finish(seq, {}, 0, j, made, n.what == "closing" ? n.text : std::string());
}

message_ptr make_text_message(uint64_t seq, std::string json, std::chrono::steady_clock::time_point made,
                              std::string result_id, int rate, std::string closing) {
    auto m = std::make_shared<message>();
    m->seq = seq;
    m->result_id = std::move(result_id);
    m->rate = rate;
    m->closing = std::move(closing);
    m->made = made;
    m->json = std::move(json);
    m->sse_head = fmt::format("id: {}\ndata: ", seq);
    m->ws_head = ws::frame_head(ws::opcode::text, m->json.size());
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
