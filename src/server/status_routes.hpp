// What the server reports about itself: GET /api/status (JSON for people and dashboards),
// GET /metrics (Prometheus text for scrapers) and GET /api/streams (the live definitions and their
// state), the live mounts' part of each from the station.
#pragma once

#include <chrono>

#include "server/http/connections.hpp"
#include "server/http/router.hpp"
#include "server/media/library.hpp"
#include "server/media/transcoder.hpp"
#include "server/metrics.hpp"
#include "server/live/station.hpp"

namespace timeside::server {

struct status_state {
    const media::library& library;
    const http::connection_registry& connections;
    const media::transcoder& transcoder;
    const metrics& stats;
    const live::station& station;
    std::chrono::steady_clock::time_point started;
};

void add_status_routes(http::router& routes, const status_state& state);

}  // namespace timeside::server
