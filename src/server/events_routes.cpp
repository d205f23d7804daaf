// The route checks everything it can answer with a status code (the mount, the query, the cap)
// before it takes the connection over; after that, errors are the protocol's own messages.
#include "server/events_routes.hpp"

#include <cctype>
#include <charconv>

#include <boost/beast/websocket/rfc6455.hpp>
#include <fmt/format.h>

#include "core/errors.hpp"
#include "server/events/sse_session.hpp"
#include "server/events/ws_handshake.hpp"
#include "server/events/ws_session.hpp"
#include "server/media_routes.hpp"

namespace timeside::server {

using http::status;

namespace {

bool accepts_event_stream(const http::request& req) {
    const std::string_view accept = req[http::bhttp::field::accept];
    return accept.find("text/event-stream") != std::string_view::npos;
}

// An upgrade our WebSocket session cannot answer: no valid Sec-WebSocket-Key (400), a version
// other than 13 (426 naming the one we speak).
std::optional<http::response> bad_upgrade(const http::request& req) {
    auto refused = events::ws::check_upgrade(req);
    if (!refused) return std::nullopt;
    auto res = http::error_reply(refused->status, refused->message);
    if (refused->status == status::upgrade_required) res.set(http::bhttp::field::sec_websocket_version, "13");
    return res;
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
    if (websocket)
        if (auto refused = bad_upgrade(ctx.req)) return std::move(*refused);
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

std::string url_encoded(std::string_view text) {
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out.push_back(static_cast<char>(c));
        else out += fmt::format("%{:02X}", c);
    }
    return out;
}

std::string query_text(const param_value& v) {
    if (const auto* s = std::get_if<std::string>(&v)) return *s;
    return std::visit([](const auto& x) { return fmt::format("{}", x); }, v);
}

// Before the run sets its analyzers up, `analyzers=` is checked against the processors asked
// for: an analyzer id, or a result id under one (`aubio_temporal.onset`).
events::catalog provisional_catalog(const std::string& item_id, const results_plan& plan, const std::string& wanted) {
    events::catalog c;
    c.item = item_id;
    for (const auto& p : plan.chain) {
        events::analyzer_entry a{p->id(), p->info().name, p->info().unit, {}};
        size_t from = 0;
        while (from <= wanted.size()) {
            const size_t comma = std::min(wanted.find(',', from), wanted.size());
            const std::string name = wanted.substr(from, comma - from);
            if (name.size() > a.id.size() + 1 && name.starts_with(a.id) && name[a.id.size()] == '.') {
                events::result_entry r;  // framewise values until the run says otherwise
                r.id = r.name = name;
                a.results.push_back(std::move(r));
            }
            from = comma + 1;
        }
        c.analyzers.push_back(std::move(a));
    }
    return c;
}

http::reply serve_item_events(item_events_state& state, const http::request_context& ctx) {
    auto snap = state.analysis.library.snapshot();
    const auto& item = servable_item(*snap, ctx.param("id"));
    const bool websocket = boost::beast::websocket::is_upgrade(ctx.req);
    if (!websocket && !accepts_event_stream(ctx.req)) {
        auto res = http::error_reply(status::upgrade_required,
                                     fmt::format("/events/items/{} is a WebSocket (an Upgrade: websocket request) or, "
                                                 "with Accept: text/event-stream, Server-Sent Events",
                                                 item.id));
        res.set(http::bhttp::field::upgrade, "websocket");
        return res;
    }
    if (websocket)
        if (auto refused = bad_upgrade(ctx.req)) return std::move(*refused);
    std::string processors, analyzers;
    raw_parameters feed_query;
    for (const auto& [name, value] : ctx.query_params()) {
        if (name == "processors") {
            processors = query_text(value);
        } else if (name == "analyzers" || name == "rate" || name == "spectrogram") {
            if (name == "analyzers") analyzers = query_text(value);
            feed_query.emplace_back(name, value);
        } else if (name == "sid") {
            throw usage_error("sid: an item's feed has no listeners to synchronize with (sid is for /events/{mount})");
        } else {
            throw usage_error(fmt::format(
                "{}: unknown parameter; /events/items/{{id}} takes: processors, analyzers, rate, spectrogram", name));
        }
    }
    const auto plan = plan_results(state.analysis, item, processors, "json", 0, 0);
    const auto provisional = provisional_catalog(item.id, plan, analyzers);
    events::subscription sub = events::subscription_from_query(feed_query, provisional, websocket);
    const auto resume = websocket ? std::nullopt : last_event_id(ctx.req);

    events::item_feed_info info{item.id, item.samplerate, item.channels, item.duration > 0 ? item.duration : -1,
                                fmt::format("/api/items/{}/results?processors={}&format=json", item.id, url_encoded(processors))};
    auto found = state.feeds.join_run(plan, std::move(info), sub.rate, sub.columns);
    if (!found.slot) {
        auto res = http::error_reply(found.status == 429 ? status::too_many_requests : status::service_unavailable,
                                     found.refusal);
        res.set(http::bhttp::field::retry_after, found.retry_after);
        return res;
    }
    auto joined = std::move(found.slot);
    auto& connections = state.connections;
    auto run = found.run;
    // The session starts once the run's analyzers are set up, so that its hello names them.
    if (websocket) {
        events::session_options options;
        options.ping = std::chrono::milliseconds(static_cast<int64_t>(run->hub()->settings().ping_seconds * 1000));
        return http::reply::take_over(
            [run, place = std::move(joined), sub = std::move(sub), &connections, options](http::taken_connection&& c) mutable {
                auto taken = std::make_shared<http::taken_connection>(std::move(c));
                run->when_ready([run, taken, place, sub, &connections, options] {
                    std::make_shared<events::ws_session>(std::move(*taken), run->hub(), place, sub, connections, options)->start();
                });
            },
            status::switching_protocols);
    }
    return http::reply::take_over(
        [run, place = std::move(joined), sub = std::move(sub), resume, &connections](http::taken_connection&& c) mutable {
            auto taken = std::make_shared<http::taken_connection>(std::move(c));
            run->when_ready([run, taken, place, sub, resume, &connections] {
                std::make_shared<events::sse_session>(std::move(*taken), run->hub(), place, sub, resume, connections)->start();
            });
        });
}

}  // namespace

void add_item_event_routes(http::router& routes, item_events_state& state) {
    http::route_options options;
    options.cors_headers = {"Last-Event-ID"};
    routes.add({http::bhttp::verb::get}, "/events/items/{id+}",
               [&state](const http::request_context& ctx) { return serve_item_events(state, ctx); }, options);
}

void add_event_routes(http::router& routes, live_state& state) {
    http::route_options options;
    options.cors_headers = {"Last-Event-ID"};  // EventSource sends it on a reconnect
    routes.add({http::bhttp::verb::get}, "/events/{id}",
               [&state](const http::request_context& ctx) { return serve_events(state, ctx); }, options);
}

}  // namespace timeside::server
