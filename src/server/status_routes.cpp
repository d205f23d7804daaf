// The gauges other objects own (connections, running transcodes, library size, uptime) are read
// at request time; the counters come from the metrics registry, so /api/status and /metrics
// always agree.
#include "server/status_routes.hpp"

#include <boost/beast/http/field.hpp>
#include <nlohmann/json.hpp>

namespace timeside::server {

using http::status;

namespace {

double uptime(const status_state& s) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - s.started).count();
}

}  // namespace

void add_status_routes(http::router& routes, const status_state& state) {
    using http::verb;
    routes.add({verb::get}, "/api/status", [&state](const http::request_context&) {
        auto snap = state.library.snapshot();
        const auto cache = state.stats.cache();
        const auto ended = state.stats.transcodes();
        return http::json_reply(
            status::ok,
            nlohmann::json{{"version", TIMESIDE_VERSION},
                           {"uptime", uptime(state)},
                           {"connections", state.connections.count()},
                           {"items", snap->items.size()},
                           {"transcodes", {{"active", state.transcoder.active()},
                                           {"max", state.transcoder.max_jobs()},
                                           {"done", ended.done},
                                           {"cancelled", ended.cancelled},
                                           {"failed", ended.failed}}},
                           {"cache", {{"bytes", cache.bytes},
                                      {"entries", cache.entries},
                                      {"max_bytes", cache.max_bytes},
                                      {"hits", cache.hits},
                                      {"misses", cache.misses}}},
                           {"library", {{"items", snap->items.size()},
                                        {"scanned", snap->scanned},
                                        {"generation", snap->generation},
                                        {"folders", state.library.folders().size()}}},
                           {"live", state.station.status_json()}});
    });
    routes.add({verb::get}, "/metrics", [&state](const http::request_context&) {
        metrics::live_gauges live;
        live.connections = state.connections.count();
        live.transcodes_active = state.transcoder.active();
        live.library_items = state.library.snapshot()->items.size();
        live.uptime_seconds = uptime(state);
        http::response res{status::ok, 11};
        res.set(http::bhttp::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
        res.set(http::bhttp::field::cache_control, "no-store");
        res.body() = state.stats.render(live);
        state.station.render_metrics(res.body());
        res.prepare_payload();
        return res;
    });
    routes.add({verb::get}, "/api/streams", [&state](const http::request_context&) {
        return http::json_reply(status::ok, state.station.streams_json());
    });
}

}  // namespace timeside::server
