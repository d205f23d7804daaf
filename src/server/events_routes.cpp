// The route checks everything it can answer with a status code (the mount, the query, the cap)
// before it takes the connection over; after that, errors are the protocol's own messages.
#include "server/events_routes.hpp"

#include <charconv>

#include <boost/beast/websocket/rfc6455.hpp>
#include <fmt/format.h>

#include "core/errors.hpp"
#include "server/events/sse_session.hpp"
#include "server/events/ws_handshake.hpp"
#include "server/events/ws_session.hpp"

namespace timeside::server {

using http::status;

namespace {

bool accepts_event_stream(const http::request& req) {
    const std::string_view accept = req[http::bhttp::field::accept];
    return accept.find("text/event-stream") != std::string_view::npos;
}

std::optional<uint64_t> last_event_id(const http::request& req) {
    auto it = req.find("Last-Event-ID");
    if (it == req.end()) return std::nullopt;
    const std::string_view v = it->value();
    uint64_t id = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), id);
    if (v.empty() || ec != std::errc{} || end != v.data() + v.size())
        throw usage_error(fmt::format("Last-Event-ID: expected the id of an event of this feed (a number), got '{}'", v));
    return id;
}

http::reply serve_events(live_state& state, const http::request_context& ctx) {
    const std::string& id = ctx.param("id");
    auto hub = state.station.find_events(id);
    if (!hub) throw http::http_error(status::not_found, fmt::format("no live mount '{}' (GET /api/streams lists them)", id));
    const bool websocket = boost::beast::websocket::is_upgrade(ctx.req);
    if (!websocket && !accepts_event_stream(ctx.req)) {
        auto res = http::error_reply(status::upgrade_required,
                                     fmt::format("/events/{} is a WebSocket (an Upgrade: websocket request) or, with "
                                                 "Accept: text/event-stream, Server-Sent Events",
                                                 id));
        res.set(http::bhttp::field::upgrade, "websocket");
        return res;
    }
    if (websocket) {
        if (auto refused = events::ws::check_upgrade(ctx.req)) {
            auto res = http::error_reply(refused->status, refused->message);
            if (refused->status == status::upgrade_required) res.set(http::bhttp::field::sec_websocket_version, "13");
            return res;
        }
    }
    static const events::catalog empty;
    const auto catalog = hub->get_catalog();
    events::subscription sub = events::subscription_from_query(ctx.query_params(), catalog ? *catalog : empty, websocket);
    const auto resume = websocket ? std::nullopt : last_event_id(ctx.req);
    auto joined = hub->try_join();
    if (!joined.slot) {
        auto res = http::error_reply(status::service_unavailable, joined.refusal);
        res.set(http::bhttp::field::retry_after, "10");
        return res;
    }
    auto& connections = state.connections;
    if (websocket) {
        events::session_options options;
        options.ping = std::chrono::milliseconds(static_cast<int64_t>(hub->settings().ping_seconds * 1000));
        return http::reply::take_over(
            [hub, place = std::move(joined.slot), sub = std::move(sub), &connections, options](http::taken_connection&& c) mutable {
                std::make_shared<events::ws_session>(std::move(c), hub, std::move(place), std::move(sub), connections, options)->start();
            },
            status::switching_protocols);
    }
    return http::reply::take_over(
        [hub, place = std::move(joined.slot), sub = std::move(sub), resume, &connections](http::taken_connection&& c) mutable {
            std::make_shared<events::sse_session>(std::move(c), hub, std::move(place), std::move(sub), resume, connections)->start();
        });
}

}  // namespace

void add_event_routes(http::router& routes, live_state& state) {
    http::route_options options;
    options.cors_headers = {"Last-Event-ID"};  // EventSource sends it on a reconnect
    routes.add({http::bhttp::verb::get}, "/events/{id}",
               [&state](const http::request_context& ctx) { return serve_events(state, ctx); }, options);
}

}  // namespace timeside::server
