// What a subscriber asked for: which analyzers, at what rate framewise values come, and the `sid`
// of a listener whose `start_frame` it wants (with that start frame, once the listener started). Read from a
// WebSocket client's `subscribe` message or an SSE request's query; every field is checked and a
// bad one is named in the error the client gets.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/parameters.hpp"
#include "server/events/catalog.hpp"

namespace timeside::server::events {

constexpr int default_rate = 20;  // framewise messages per second and result, unless asked
constexpr int max_rate = 50;

struct subscription {
    std::optional<std::vector<std::string>> analyzers;  // analyzer or result ids; none: all
    int rate = default_rate;
    std::string sid;  // a listener's token (`/live/{id}.{ext}?sid=`)
    // That listener's start: the stream frame its player shows at currentTime 0, and its output
    // (/live/{id}.{ext}); set by the server from the mount's sync_registry, never by the client.
    std::optional<int64_t> start_frame;
    std::string output;
    bool columns = false;  // `"spectrogram": "u8"`: spectra as binary 8-bit columns (WebSocket only)

    // Whether a message of `result_id` is for this subscriber (analysis only; news always are).
    bool wants(const std::string& result_id) const;
    // {"analyzers": [...] | null, "rate", "sid": ... | null, "spectrogram": "u8" | null,
    //  "start_frame": N | null, "output": "/live/{id}.{ext}" | null}
    nlohmann::json to_json() const;
};

// {"type":"subscribed", "analyzers", "rate", "sid", "start_frame", "reason"}: the subscription in
// force, confirmed after a `subscribe` (reason "asked") or lowered by the server (reason "slow").
std::string subscribed_json(const subscription& s, const std::string& reason);

// {"type":"start_frame", "sid", "output", "start_frame", "t"}: the listener `sid` started (or
// started again: a reconnect is a new burst), sent to its subscribers when it happens.
std::string start_frame_json(const std::string& sid, const std::string& output, int64_t start_frame, int samplerate);

// A client's message, parsed: a subscribe (its subscription), a ping (its optional id), or what
// was wrong with it (code bad_json | unknown_type | bad_field, the field, a sentence).
struct client_message {
    enum class kind { subscribe, ping, invalid };
    kind type = kind::invalid;
    subscription sub;
    std::optional<nlohmann::json> ping_id;
    std::string error, field, text;
};
client_message parse_client_message(std::string_view text, const catalog& c);

// `?analyzers=level,aubio_temporal.onset&rate=10&sid=TOKEN(&spectrogram=u8)`. Throws usage_error
// naming the parameter (the route answers 400); `spectrogram` only where `binary` (WebSocket).
subscription subscription_from_query(const raw_parameters& query, const catalog& c, bool binary);

}  // namespace timeside::server::events
