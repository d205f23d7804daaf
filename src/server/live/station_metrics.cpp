// The station's families in GET /metrics (Prometheus text): per output listeners and bytes, per
// push, per mount source and fallback, per feed subscribers and delivery latency, RTSP and HLS.
#include <optional>

#include <fmt/format.h>

#include "server/live/running_mount.hpp"
#include "server/live/station.hpp"
#include "server/metrics.hpp"
#include "server/rtsp/rtsp_server.hpp"

namespace timeside::server::live {

void station::render_metrics(std::string& out) const {
    const auto mounts = all();
    auto family = [&](const char* name, const char* type, const char* help, auto value) {
        out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
        for (const auto& m : mounts) value(*m);
    };
    auto per_output = [&](const char* name, const char* type, const char* help, auto field) {
        family(name, type, help, [&](const running_mount& m) {
            for (size_t i = 0; i < m.hubs.size(); ++i)
                out += fmt::format("{}{{mount=\"{}\",output=\"{}\"}} {}\n", name, escape_label_value(m.def->id),
                                   escape_label_value(m.def->outputs[i].extension), field(m.hubs[i]->counters()));
        });
    };
    // One sample per mount, labelled with its id: `sample(m)` gives the value, or nothing to leave
    // the mount out (no RTSP path, no HLS). The families below differ only in where they read.
    auto per_mount_sample = [&](const char* name, const char* type, const char* help, auto sample) {
        family(name, type, help, [&](const running_mount& m) {
            if (const auto v = sample(m)) out += fmt::format("{}{{mount=\"{}\"}} {}\n", name, escape_label_value(m.def->id), *v);
        });
    };
    auto per_mount = [&](const char* name, const char* type, const char* help, auto field) {
        per_mount_sample(name, type, help, [&](const running_mount& m) { return std::optional(field(m.engine->status())); });
    };
    per_output("timeside_live_listeners", "gauge", "Listeners connected to a live output.",
               [](const hub_counters& c) { return c.listeners; });
    per_output("timeside_live_listener_peak", "gauge", "Most listeners a live output had at once.",
               [](const hub_counters& c) { return c.listener_peak; });
    per_output("timeside_live_listener_connects_total", "counter", "Listeners admitted to a live output.",
               [](const hub_counters& c) { return c.connects; });
    per_output("timeside_live_listeners_refused_total", "counter", "Listeners refused (503) by a cap.",
               [](const hub_counters& c) { return c.refused; });
    per_output("timeside_live_slow_listeners_total", "counter", "Listeners dropped for falling behind the queue.",
               [](const hub_counters& c) { return c.slow_listeners; });
    per_output("timeside_live_sent_bytes_total", "counter", "Bytes sent to a live output's listeners.",
               [](const hub_counters& c) { return c.bytes_sent; });
    auto per_push = [&](const char* name, const char* type, const char* help, auto field) {
        family(name, type, help, [&](const running_mount& m) {
            for (size_t k = 0; k < m.pushes.size(); ++k) {
                const auto p = m.pushes[k]->status();
                out += fmt::format("{}{{mount=\"{}\",output=\"{}\",push=\"{}\"}} {}\n", name, escape_label_value(m.def->id),
                                   escape_label_value(m.def->outputs[m.push_output[k]].extension), escape_label_value(p.url),
                                   field(p));
            }
        });
    };
    per_push("timeside_live_push_connected", "gauge", "1 while an output's push to an Icecast server streams.",
             [](const push_status& p) { return p.state == "connected" ? 1 : 0; });
    per_push("timeside_live_push_sent_bytes_total", "counter", "Bytes an output's push wrote to its Icecast server.",
             [](const push_status& p) { return p.bytes; });
    per_push("timeside_live_push_reconnects_total", "counter", "Times a push failed or dropped and tried again.",
             [](const push_status& p) { return p.reconnects; });
    per_push("timeside_live_push_dropped_behind_total", "counter", "Push connections dropped for falling behind.",
             [](const push_status& p) { return p.dropped_behind; });
    per_mount("timeside_live_source_connected", "gauge", "1 while a source client pushes to the mount.",
              [](const mount_status& s) { return s.source_connected ? 1 : 0; });
    per_mount("timeside_live_source_connects_total", "counter", "Source clients attached to the mount.",
              [](const mount_status& s) { return s.source_connects; });
    per_mount("timeside_live_fallback_active", "gauge", "1 while the mount plays its fallback.",
              [](const mount_status& s) { return s.fallback_active ? 1 : 0; });
    per_mount("timeside_live_fallback_seconds_total", "counter", "Seconds of audio the fallback filled in.",
              [](const mount_status& s) { return s.fallback_seconds; });
    per_mount("timeside_live_filled_frames_total", "counter", "Frames filled because the input was late or gone.",
              [](const mount_status& s) { return s.filled_frames; });
    per_mount("timeside_live_trimmed_frames_total", "counter", "Frames of a source's audio dropped for running ahead.",
              [](const mount_status& s) { return s.trimmed_frames; });
    per_mount("timeside_live_skipped_analysis_blocks_total", "counter", "Blocks the analysis lane skipped to keep up.",
              [](const mount_status& s) { return s.skipped_analysis_blocks; });
    auto per_events = [&](const char* name, const char* type, const char* help, auto field) {
        per_mount_sample(name, type, help, [&](const running_mount& m) { return std::optional(field(m.events->counters())); });
    };
    using events::event_counters;
    per_events("timeside_events_subscribers", "gauge", "Event subscribers (WebSocket and SSE) of a mount.",
               [](const event_counters& c) { return c.subscribers; });
    per_events("timeside_events_subscriber_connects_total", "counter", "Event subscribers admitted to a mount's feed.",
               [](const event_counters& c) { return c.connects; });
    per_events("timeside_events_refused_total", "counter", "Event subscribers refused (503) by a cap.",
               [](const event_counters& c) { return c.refused; });
    per_events("timeside_events_messages_total", "counter", "Messages published into a mount's feed (each serialized once).",
               [](const event_counters& c) { return c.messages; });
    per_events("timeside_events_delivered_total", "counter", "Feed messages written to subscribers (one per subscriber).",
               [](const event_counters& c) { return c.delivered; });
    per_events("timeside_events_dropped_total", "counter", "Framewise messages not sent to subscribers decimated for lagging.",
               [](const event_counters& c) { return c.dropped; });
    per_events("timeside_events_slow_closes_total", "counter", "Subscribers closed (1008) for falling too far behind.",
               [](const event_counters& c) { return c.slow_closes; });
    per_events("timeside_events_ring_bytes", "gauge",
               "Serialized messages a mount's feed holds for resuming subscribers (one when nobody subscribed within its window).",
               [](const event_counters& c) { return c.ring_bytes; });
    family("timeside_events_delivery_seconds", "histogram",
           "From the end of an analysis (or news) to its message written to a subscriber.", [&](const running_mount& m) {
               const auto c = m.events->counters();
               const std::string mount = escape_label_value(m.def->id);
               uint64_t cumulative = 0;
               for (size_t i = 0; i < c.latency.size(); ++i) {
                   cumulative += c.latency[i];
                   const std::string le = i < events::latency_buckets.size() ? fmt::format("{}", events::latency_buckets[i]) : "+Inf";
                   out += fmt::format("timeside_events_delivery_seconds_bucket{{mount=\"{}\",le=\"{}\"}} {}\n", mount, le, cumulative);
               }
               out += fmt::format("timeside_events_delivery_seconds_sum{{mount=\"{}\"}} {}\n", mount, c.latency_sum);
               out += fmt::format("timeside_events_delivery_seconds_count{{mount=\"{}\"}} {}\n", mount, cumulative);
           });
    const auto rtsp_counts = rtsp_ ? rtsp_->counts() : std::map<std::string, rtsp::rtsp_mount_counts>{};
    auto per_rtsp = [&](const char* name, const char* type, const char* help, auto field) {
        per_mount_sample(name, type, help, [&](const running_mount& m) {
            const auto it = rtsp_counts.find(m.def->id);
            return it != rtsp_counts.end() ? std::optional(field(it->second)) : std::nullopt;
        });
    };
    per_rtsp("timeside_rtsp_clients", "gauge", "RTSP sessions on a mount's path.",
             [](const rtsp::rtsp_mount_counts& c) { return c.clients; });
    per_rtsp("timeside_rtsp_medias", "gauge", "RTSP media pipelines running for a mount (shared by its clients).",
             [](const rtsp::rtsp_mount_counts& c) { return c.medias; });
    per_rtsp("timeside_rtsp_media_starts_total", "counter", "RTSP media pipelines built for a mount.",
             [](const rtsp::rtsp_mount_counts& c) { return c.media_starts; });
    per_rtsp("timeside_rtsp_dropped_frames_total", "counter",
             "Frames of a mount's audio its RTSP media lost because the media stalled for over a second.",
             [](const rtsp::rtsp_mount_counts& c) { return c.dropped_frames; });
    per_rtsp("timeside_rtsp_resyncs_total", "counter",
             "Times a mount's RTSP media timestamps were set back on the pipeline clock (drifted over 100 ms).",
             [](const rtsp::rtsp_mount_counts& c) { return c.resyncs; });
    per_mount("timeside_live_stream_seconds", "gauge", "Stream time of the mount (seconds since it started).",
              [](const mount_status& s) { return s.samplerate ? static_cast<double>(s.stream_frames) / s.samplerate : 0.0; });
    auto per_hls = [&](const char* name, const char* type, const char* help, auto field) {
        per_mount_sample(name, type, help, [&](const running_mount& m) {
            return m.hls ? std::optional(field(m.hls->counters())) : std::nullopt;
        });
    };
    per_hls("timeside_live_hls_segments_total", "counter", "HLS segments published by a mount.",
            [](const hls::hls_counters& c) { return c.segments; });
    per_hls("timeside_live_hls_playlist_requests_total", "counter", "Requests of a mount's HLS playlist.",
            [](const hls::hls_counters& c) { return c.playlist_requests; });
    per_hls("timeside_live_hls_segment_requests_total", "counter", "Requests of a mount's HLS segments (served).",
            [](const hls::hls_counters& c) { return c.segment_requests; });
    per_hls("timeside_live_hls_not_found_total", "counter", "HLS segment requests answered 404 (evicted or unknown).",
            [](const hls::hls_counters& c) { return c.not_found; });
    per_hls("timeside_live_hls_events_total", "counter", "Analysis events queued for HLS segments' ID3 tags (put in the segment that plays them).",
            [](const hls::hls_counters& c) { return c.events; });
    per_hls("timeside_live_hls_events_dropped_total", "counter", "Analysis events over the bound of those waiting for segments, not carried.",
            [](const hls::hls_counters& c) { return c.events_dropped; });
    per_mount_sample("timeside_live_hls_lane_running", "gauge",
                     "1 while the encode that feeds a mount's HLS runs (on demand without an mp3 output, else always).",
                     [&](const running_mount& m) { return m.hls ? std::optional(!m.lane || m.lane->running() ? 1 : 0) : std::nullopt; });
    per_hls("timeside_live_hls_publish_latency_seconds", "gauge",
            "Newest HLS segment: from its first sample's wall-clock time to its publication.",
            [](const hls::hls_counters& c) { return c.last_latency; });
}

}  // namespace timeside::server::live
