// The live routes: GET/HEAD /live/{id}.{ext} (an Icecast listener), GET /live/{id}/index.m3u8 and
// its segments (HLS), PUT and SOURCE /live/{id} (an
// Icecast source client), GET /admin/metadata (Icecast's title update, admin credentials) and
// GET /status-json.xsl (Icecast's status shape). Each hands the work to the station's parts.
#pragma once

#include <functional>

#include "server/http/connections.hpp"
#include "server/http/router.hpp"
#include "server/live/ingest_session.hpp"
#include "server/live/station.hpp"

namespace timeside::server {

struct live_state {
    live::station& station;
    http::connection_registry& connections;
    std::function<unsigned()> port;  // the bound port, for Icecast's listenurl
    live::ingest_endpoint ingest;
};

void add_live_routes(http::router& routes, live_state& state);

}  // namespace timeside::server
