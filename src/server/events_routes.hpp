// The events route: GET /events/{id}, a live mount's analysis events and news as a WebSocket
// (an upgrade request) or as Server-Sent Events (`Accept: text/event-stream`): 404 naming an
// unknown mount, 503 with Retry-After over the mount's or the server's subscriber cap, 426 for a
// request that is neither. docs/events.md is the protocol.
#pragma once

#include "server/http/router.hpp"
#include "server/live_routes.hpp"

namespace timeside::server {

void add_event_routes(http::router& routes, live_state& state);

}  // namespace timeside::server
