// A stream definition as JSON for GET /api/streams: what was read, defaults filled in, and the
// listener and source URLs it gives. Secrets stay out: a source password is shown as set or not.
#include <nlohmann/json.hpp>

#include "server/live/stream_definition.hpp"

namespace timeside::server::live {

namespace {

const char* kind_name(input_definition::kind k) {
    switch (k) {
        case input_definition::kind::file: return "file";
        case input_definition::kind::playlist: return "playlist";
        case input_definition::kind::icecast: return "icecast";
        case input_definition::kind::http: return "http";
        case input_definition::kind::signal: return "signal";
    }
    return "?";
}

const char* kind_name(fallback_definition::kind k) {
    switch (k) {
        case fallback_definition::kind::silence: return "silence";
        case fallback_definition::kind::file: return "file";
        case fallback_definition::kind::mount: return "mount";
    }
    return "?";
}

}  // namespace

nlohmann::json to_json(const stream_definition& d) {
    using ik = input_definition::kind;
    nlohmann::json input{{"kind", kind_name(d.input.type)}};
    switch (d.input.type) {
        case ik::file: input["uri"] = d.input.uri, input["loop"] = d.input.loop; break;
        case ik::playlist:
            input["files"] = d.input.files, input["loop"] = d.input.loop, input["shuffle"] = d.input.shuffle;
            break;
        case ik::icecast:
            input["source_url"] = "/live/" + d.id;
            input["password_set"] = !d.input.password.empty();
            input["password_generated"] = d.input.password_generated;
            break;
        case ik::http: input["uri"] = d.input.uri; break;
        case ik::signal: input["signal"] = d.input.signal; break;
    }
    nlohmann::json outputs = nlohmann::json::array();
    for (const auto& o : d.outputs) {
        nlohmann::json push = nlohmann::json::array();
        for (const auto& t : o.push) push.push_back(t.redacted());  // never the password
        outputs.push_back({{"format", o.format},
                           {"url", "/live/" + d.id + "." + o.extension},
                           {"encoder", o.encoder_spec},
                           {"content_type", o.content_type},
                           {"bitrate", o.bitrate_kbps},
                           {"push", push}});
    }
    nlohmann::json fallback{{"kind", kind_name(d.fallback.type)}};
    if (d.fallback.type == fallback_definition::kind::file) fallback["uri"] = d.fallback.uri;
    if (d.fallback.type == fallback_definition::kind::mount) fallback["mount"] = d.fallback.mount;
    return {{"name", d.name},
            {"description", d.description},
            {"genre", d.genre},
            {"url", d.url},
            {"public", d.is_public},
            {"samplerate", d.samplerate},
            {"channels", d.channels},
            {"input", input},
            {"outputs", outputs},
            {"analysis", d.analysis},
            {"listeners",
             {{"max", d.listeners.max},
              {"burst", d.listeners.burst_seconds},
              {"burst_bytes", d.listeners.burst_bytes},
              {"queue", d.listeners.queue_seconds},
              {"metaint", d.listeners.metaint}}},
            {"events",
             {{"max_subscribers", d.events.max_subscribers},
              {"queue", d.events.queue_seconds},
              {"resume", d.events.resume_seconds},
              {"ping", d.events.ping_seconds}}},
            {"hls",
             {{"enabled", d.hls.enabled},
              {"segment_seconds", d.hls.segment_seconds},
              {"window", d.hls.window},
              {"url", "/live/" + d.id + "/index.m3u8"}}},
            {"fallback", fallback},
            {"rtsp", {{"user", d.rtsp.user}, {"password_set", !d.rtsp.password.empty()}}},
            {"source_timeout", d.source_timeout.count() / 1000.0}};
}

}  // namespace timeside::server::live
