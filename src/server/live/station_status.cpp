// The station seen from outside: the "live" section of /api/status, the admin API's mounts and
// listeners, and Icecast's /status-json.xsl, each built from the running mounts' counters.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "server/live/icecast_status.hpp"
#include "server/live/running_mount.hpp"
#include "server/live/station.hpp"
#include "server/rtsp/rtsp_server.hpp"

namespace timeside::server::live {

namespace {

std::string iso8601(std::chrono::system_clock::time_point t) { return icecast_date_iso8601(t); }

nlohmann::json events_status(const running_mount& m) {
    const auto c = m.events->counters();
    return {{"url", "/events/" + m.def->id},
            {"subscribers", c.subscribers},
            {"subscriber_peak", c.subscriber_peak},
            {"connects", c.connects},
            {"refused", c.refused},
            {"slow_closes", c.slow_closes},
            {"messages", c.messages},
            {"delivered", c.delivered},
            {"dropped", c.dropped}};
}
nlohmann::json hls_status(const running_mount& m) {
    if (!m.hls) return nullptr;
    const auto c = m.hls->counters();
    return {{"url", "/live/" + m.def->id + "/index.m3u8"},
            {"segment_seconds", m.hls->settings().segment_seconds},
            {"window", m.hls->settings().window},
            {"target_duration", m.hls->target_duration()},
            {"segments", c.segments},
            {"sequence", c.sequence},
            {"events", c.events},
            {"events_dropped", c.events_dropped},
            {"playlist_requests", c.playlist_requests},
            {"segment_requests", c.segment_requests},
            {"not_found", c.not_found},
            {"latency", c.last_latency},
            // Cut from the mp3 output's encode, or an encode of its own run on demand (lane_running).
            {"lane", m.lane ? "on_demand" : "mp3_output"},
            {"lane_running", m.lane ? m.lane->running() : true},
            {"lane_starts", m.lane ? m.lane->starts() : 0},
            {"lane_idle_seconds", m.lane ? nlohmann::json(m.lane->settings().idle_seconds) : nlohmann::json(nullptr)}};
}

// A mount's source as /api/status and the admin's mount page show it: connected, since when, its
// input, and an ingest mount's client (peer, user agent, content type, stream name...).
nlohmann::json source_json(const running_mount& m, const mount_status& st) {
    nlohmann::json source{{"connected", st.source_connected}, {"input", st.source}, {"last_error", st.last_error},
                          {"connects", st.source_connects}};
    if (st.source_connected) source["since"] = iso8601(st.source_since);
    if (m.ingest)
        if (auto info = m.ingest->source()) {
            source["client"] = {{"method", info->method}, {"peer", info->peer}, {"user_agent", info->user_agent},
                                {"content_type", info->content_type}, {"name", info->name},
                                {"description", info->description}, {"genre", info->genre}, {"url", info->url},
                                {"audio_info", info->audio_info}, {"bytes", m.ingest->source_bytes()}};
        }
    return source;
}


}  // namespace

nlohmann::json station::status_json() const {
    nlohmann::json mounts = nlohmann::json::array();
    uint64_t listeners = 0;
    int64_t rtsp_clients = 0;
    const auto rtsp_counts = rtsp_ ? rtsp_->counts() : std::map<std::string, rtsp::rtsp_mount_counts>{};
    for (const auto& m : all()) {
        const auto st = m->engine->status();
        nlohmann::json outputs = nlohmann::json::array();
        uint64_t mount_listeners = 0, peak = 0, slow = 0, bytes = 0;
        for (size_t i = 0; i < m->hubs.size(); ++i) {
            const auto& out = m->def->outputs[i];
            const auto c = m->hubs[i]->counters();
            mount_listeners += c.listeners;
            peak += c.listener_peak;
            slow += c.slow_listeners;
            bytes += c.bytes_sent;
            nlohmann::json pushes = nlohmann::json::array();
            for (size_t k = 0; k < m->pushes.size(); ++k) {
                if (m->push_output[k] != i) continue;
                const auto p = m->pushes[k]->status();
                pushes.push_back({{"url", p.url}, {"state", p.state}, {"method", p.method}, {"since", iso8601(p.since)},
                                  {"bytes_sent", p.bytes}, {"reconnects", p.reconnects},
                                  {"dropped_behind", p.dropped_behind}, {"last_error", p.last_error},
                                  {"titles_sent", p.titles_sent}, {"title_error", p.title_error}});
            }
            outputs.push_back({{"url", m->hubs[i]->settings().mount},
                               {"push", pushes},
                               {"format", out.format},
                               {"content_type", out.content_type},
                               {"encoder", out.encoder_spec},
                               {"bitrate", out.bitrate_kbps},
                               {"listeners", c.listeners},
                               {"listener_peak", c.listener_peak},
                               {"slow_listeners", c.slow_listeners},
                               {"connects", c.connects},
                               {"refused", c.refused},
                               {"bytes_sent", c.bytes_sent}});
        }
        listeners += mount_listeners;
        const nlohmann::json source = source_json(*m, st);
        mounts.push_back({{"id", m->def->id},
                          {"name", m->def->name},
                          {"state", st.running ? "running" : "failed"},
                          {"failure", st.failure},
                          {"stream_start", iso8601(st.stream_start)},
                          {"stream_seconds", st.samplerate ? static_cast<double>(st.stream_frames) / st.samplerate : 0.0},
                          {"samplerate", st.samplerate},
                          {"channels", st.channels},
                          {"title", st.title},
                          {"listeners", mount_listeners},
                          {"listener_peak", peak},
                          {"slow_listeners", slow},
                          {"bytes_sent", bytes},
                          {"source", source},
                          {"fallback_active", st.fallback_active},
                          {"fallback_seconds", st.fallback_seconds},
                          {"filled_frames", st.filled_frames},
                          {"trimmed_frames", st.trimmed_frames},
                          {"skipped_analysis_blocks", st.skipped_analysis_blocks},
                          {"outputs", outputs},
                          {"events", events_status(*m)},
                          {"hls", hls_status(*m)}});
        if (auto it = rtsp_counts.find(m->def->id); it != rtsp_counts.end()) {
            rtsp_clients += it->second.clients;
            mounts.back()["rtsp"] = {{"url", rtsp_->url(m->def->id)},
                                     {"auth", m->def->rtsp.password.empty() ? "none" : "basic"},
                                     {"clients", it->second.clients},
                                     {"medias", it->second.medias},
                                     {"media_starts", it->second.media_starts},
                                     {"dropped_frames", it->second.dropped_frames},
                                     {"resyncs", it->second.resyncs}};
        }
    }
    return {{"mounts", mounts},
            {"listeners", listeners},
            {"max_listeners", budget_->max},
            {"server_listeners", budget_->listeners.load()},
            {"subscribers", subscriber_budget_->subscribers.load()},
            {"max_subscribers", subscriber_budget_->max},
            {"rtsp", rtsp_ ? nlohmann::json{{"port", rtsp_->port()}, {"clients", rtsp_clients}} : nlohmann::json(nullptr)}};
}

std::optional<nlohmann::json> station::admin_mount_json(const std::string& id) const {
    auto m = find(id);
    if (!m) return std::nullopt;
    const auto st = m->engine->status();
    const auto now = std::chrono::steady_clock::now();
    nlohmann::json listeners = nlohmann::json::array();
    for (size_t i = 0; i < m->hubs.size(); ++i)
        for (const auto& l : m->hubs[i]->listeners())
            listeners.push_back({{"output", m->hubs[i]->settings().mount},
                                 {"format", m->def->outputs[i].format},
                                 {"peer", l.peer},
                                 {"user_agent", l.user_agent},
                                 {"sid", l.sid},
                                 {"icy_metadata", l.icy_metadata},
                                 {"connected_seconds", std::chrono::duration<double>(now - l.since).count()},
                                 {"bytes_sent", l.bytes}});
    nlohmann::json outputs = nlohmann::json::array();
    for (size_t i = 0; i < m->hubs.size(); ++i)
        outputs.push_back({{"url", m->hubs[i]->settings().mount}, {"format", m->def->outputs[i].format},
                           {"content_type", m->def->outputs[i].content_type}});
    return nlohmann::json{{"id", m->def->id},
                          {"name", m->def->name},
                          {"state", st.running ? "running" : "failed"},
                          {"title", st.title},
                          {"samplerate", st.samplerate},
                          {"channels", st.channels},
                          {"source", source_json(*m, st)},
                          {"outputs", outputs},
                          {"count", listeners.size()},
                          {"listeners", listeners}};
}

nlohmann::json station::admin_mounts_json() const {
    nlohmann::json mounts = nlohmann::json::array();
    for (const auto& m : all())
        if (auto j = admin_mount_json(m->def->id)) mounts.push_back(std::move(*j));
    return {{"mounts", mounts}, {"count", mounts.size()}};
}

std::string station::icecast_status_json(const std::string& host, unsigned port) const {
    icecast_server_info server;
    server.host = host;
    server.port = port;
    server.server_id = "TimeSide " TIMESIDE_VERSION;
    server.server_start = started_;
    std::vector<icecast_source_info> sources;
    for (const auto& m : all()) {
        const auto st = m->engine->status();
        for (size_t i = 0; i < m->hubs.size(); ++i) {
            auto s = icecast_source_for(*m->def, m->def->outputs[i]);
            const auto c = m->hubs[i]->counters();
            s.listeners = static_cast<unsigned>(c.listeners);
            s.listener_peak = static_cast<unsigned>(c.listener_peak);
            s.title = st.title;
            s.stream_start = st.stream_start;
            sources.push_back(std::move(s));
        }
    }
    return render_icecast_status(server, sources);
}

}  // namespace timeside::server::live
