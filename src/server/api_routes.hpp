// The JSON API of the library and the catalog: /api/items, /api/items/{id}, /api/processors,
// /api/presets (/api/status is in status_routes). Handlers run on the network threads and only read snapshots.
#pragma once

#include <chrono>
#include <string>

#include "server/http/connections.hpp"
#include "server/http/router.hpp"
#include "server/media/library.hpp"
#include "server/media/transcoder.hpp"

namespace timeside::server {

struct api_state {
    const media::library& library;
    const http::connection_registry& connections;
    const media::transcoder& transcoder;
    std::string processors_json;  // serialized once: the registry does not change while serving
    std::string presets_json;
    std::chrono::steady_clock::time_point started;
};

void add_api_routes(http::router& routes, const api_state& state);

}  // namespace timeside::server
