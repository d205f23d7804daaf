// The events feed's messages (docs/events.md, docs/events.schema.json): each one the hub
// publishes is serialized once, here, into an immutable buffer that every subscriber's socket
// writes as it is (WebSocket frame head + the JSON, or SSE `id:` + `data:` lines around the same JSON).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/analyzer.hpp"
#include "server/events/catalog.hpp"

namespace timeside::server::events {

// A message of the mount's feed, shared by every subscriber that gets it.
struct message {
    uint64_t seq = 0;           // its place in the mount's feed (SSE `id:`); 0 for a private one
    std::string result_id;      // analysis: what a subscriber's analyzer filter matches; else empty
    int rate = 0;               // 0: for every subscriber; else only those decimated to this rate
    std::string closing;        // the mount's last message ("stopped", "restarted", "shutdown"): close after it
    bool binary = false;        // `json` holds a binary column (WebSocket binary frame), not JSON
    std::chrono::steady_clock::time_point made;  // when the analysis (or the news) was complete
    std::string json;           // the message, serialized once
    std::string sse_head;       // "id: <seq>\ndata: ": what SSE writes before `json` (then "\n\n")
    std::string ws_head;        // the head of its WebSocket frame (text, or binary): framed once for every subscriber
};
using message_ptr = std::shared_ptr<const message>;

// An analysis event as computed (onsets, beats, silence changes: never decimated) or one
// framewise result's values over one interval of a decimated feed.
struct interval_values {
    std::string result_id;
    int samplerate = 0;
    int64_t frame = 0;      // the first row's stream frame
    int64_t end_frame = 0;  // the last row's frame plus its duration
    size_t count = 0;       // rows aggregated
    // `mean` is the interval's value as its result sums it up (catalog: the rows' mean, their max,
    // or their power mean); `min` and `max` are the rows' extremes.
    std::vector<double> mean, min, max;
};

// What happened to the mount, for its subscribers.
struct news {
    std::string what;  // title | source_connected | source_lost | fallback_started | fallback_ended | listeners | closing
    int64_t frame = -1;  // the stream frame it applies from; -1: not tied to one
    int samplerate = 0;
    std::string text;    // title: the title; source_*: the source or the error; closing: why
    int64_t count = -1;  // listeners: how many
};

// A text message as every subscriber gets it: `json`, serialized once, with its SSE and WebSocket
// heads. The message makers below and the item feed's (item_feed.hpp) all make theirs with it.
message_ptr make_text_message(uint64_t seq, std::string json, std::chrono::steady_clock::time_point made,
                              std::string result_id = {}, int rate = 0, std::string closing = {});

// {"type":"analysis","seq","result","frame","t","duration", "value" | "label"}
message_ptr make_event_message(uint64_t seq, const analysis_event& e, std::chrono::steady_clock::time_point made);
// {"type":"analysis", ..., "value" (the interval's value: mean, max or power mean), "min", "max", "count"},
// for subscribers at `rate`.
message_ptr make_interval_message(uint64_t seq, int rate, const interval_values& v,
                                  std::chrono::steady_clock::time_point made);
// A spectrum's interval as an 8-bit column (docs/events.md, "Binary columns"): the mean magnitude
// of each bin in dB relative to `full_scale`, from column_min_db (0) to column_max_db (255).
message_ptr make_column_message(uint64_t seq, int rate, const interval_values& v, double full_scale,
                                std::chrono::steady_clock::time_point made);
message_ptr make_news_message(uint64_t seq, const news& n, std::chrono::steady_clock::time_point made);

// Private messages (one subscriber's), serialized for it alone.
// {"type":"error","error":code,"field"?,"message"}: code is bad_json | unknown_type | bad_field | ...
std::string error_json(const std::string& code, const std::string& field, const std::string& text);
// {"type":"pong","id"?,"frame","t"}: `id` echoes the ping's, when it had one.
std::string pong_json(const nlohmann::json* id, int64_t frame, int samplerate);

// A value as JSON: non-finite numbers (which JSON has not) become null.
nlohmann::json json_number(double v);

}  // namespace timeside::server::events
