// The events route: GET /events/{id}, a live mount's analysis events and news as a WebSocket
// (an upgrade request) or as Server-Sent Events (`Accept: text/event-stream`): 404 naming an
// unknown mount, 503 with Retry-After over the mount's or the server's subscriber cap, 426 for a
// request that is neither. docs/events.md is the protocol.
#pragma once

#include "server/analysis_routes.hpp"
#include "server/events/item_feed.hpp"
#include "server/http/router.hpp"
#include "server/live_routes.hpp"

namespace timeside::server {

void add_event_routes(http::router& routes, live_state& state);

// GET /events/items/{id}?processors=SPEC,...: an item's analysis as it is computed (the results
// job's, events/item_feed.hpp), the same transports and messages, with progress and an `end`.
// 404 unknown item, 400 a bad query (processors named as the results route names them), 426
// neither transport, 429 + Retry-After the job cap, 503 + Retry-After the subscriber cap.
struct item_events_state {
    analysis_state& analysis;
    http::connection_registry& connections;
    events::item_feeds& feeds;
};
void add_item_event_routes(http::router& routes, item_events_state& state);

}  // namespace timeside::server
