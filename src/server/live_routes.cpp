// /admin/metadata answers as Icecast 2.4 does (an XML iceresponse), so the tools stations already
// use to push titles (Liquidsoap, butt, mixing software) read our answer as they read Icecast's.
#include "server/live_routes.hpp"

#include <boost/beast/http/field.hpp>
#include <fmt/format.h>

#include "core/errors.hpp"
#include "server/admin_routes.hpp"
#include "server/events/event_hub.hpp"
#include "server/hls/hls_reply.hpp"
#include "server/live/listener_session.hpp"
#include "server/log.hpp"

namespace timeside::server {

using http::status;

namespace {

http::response text_reply(status code, std::string body, const char* type = "text/plain; charset=utf-8") {
    http::response res{code, 11};
    res.set(http::bhttp::field::content_type, type);
    res.set(http::bhttp::field::cache_control, "no-store");
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

http::response iceresponse(status code, const std::string& message, bool ok) {
    return text_reply(code,
                      fmt::format("<?xml version=\"1.0\"?>\n<iceresponse><message>{}</message><return>{}</return></iceresponse>\n",
                                  message, ok ? 1 : 0),
                      "text/xml");
}

std::string query_text(const raw_parameters& q, const char* name) {
    for (const auto& [k, v] : q)
        if (k == name) {
            if (const auto* s = std::get_if<std::string>(&v)) return *s;
            return std::visit([](const auto& x) { return fmt::format("{}", x); }, v);
        }
    return {};
}

http::reply admin_metadata(live_state& state, const http::request_context& ctx) {
    if (auto refusal = admin_refusal(state.station, ctx, false)) return std::move(*refusal);
    const auto q = ctx.query_params();
    const std::string mode = query_text(q, "mode");
    if (mode != "updinfo") throw usage_error(fmt::format("mode: expected 'updinfo', got '{}'", mode));
    std::string mount = query_text(q, "mount");
    if (!mount.starts_with("/live/")) throw http::http_error(status::not_found, fmt::format("no such mount: '{}'", mount));
    const std::string id = mount.substr(6);
    // Icecast's forms: song, or artist and title (joined "artist - title").
    std::string song = query_text(q, "song");
    if (song.empty()) {
        const std::string artist = query_text(q, "artist"), title = query_text(q, "title");
        song = artist.empty() ? title : title.empty() ? artist : artist + " - " + title;
    }
    if (!state.station.set_title(id, song))
        throw http::http_error(status::not_found, fmt::format("no such mount: '{}'", mount));
    log(log_level::info, "title", {{"mount", id}, {"title", song}});
    return iceresponse(status::ok, "Metadata update successful", true);
}

}  // namespace

void add_live_routes(http::router& routes, live_state& state) {
    using http::verb;
    routes.add({verb::get}, "/live/{id}.{ext}", [&state](const http::request_context& ctx) -> http::reply {
        auto h = state.station.find_hub(ctx.param("id"), ctx.param("ext"));
        if (!h) throw http::http_error(status::not_found, fmt::format("no live output /live/{}.{}", ctx.param("id"), ctx.param("ext")));
        // `?sid=TOKEN`: the listener's start frame is recorded for the mount's subscribers (docs/events.md).
        live::listener_request request = live::read_listener_request(ctx.req);
        std::shared_ptr<events::sync_registry> sync;
        if (ctx.query.find("sid") != std::string::npos)  // other queries (players' cache busters) are not read
            for (const auto& [k, v] : ctx.query_params())
                if (k == "sid") {
                    request.sid = std::get<std::string>(v);
                    if (const std::string problem = events::sid_problem(request.sid); !problem.empty())
                        throw usage_error(fmt::format("sid: {} (a token the player chooses, to find its start_frame "
                                                      "in /events/{})", problem, ctx.param("id")));
                }
        if (!request.sid.empty())
            if (auto events = state.station.find_events(ctx.param("id"))) sync = events->sync();
        return live::serve_listener(std::move(h), std::move(request), state.connections, std::move(sync));
    }, http::route_options{.stream_body = false, .extra_methods = {}, .cors_headers = {"Icy-MetaData"}});
    // HLS: the playlist and its segments (docs/live.md, "HLS").
    routes.add({verb::get}, "/live/{id}/{name}", [&state](const http::request_context& ctx) -> http::reply {
        std::string why;
        auto hls = state.station.find_hls(ctx.param("id"), why);
        if (!hls) throw http::http_error(status::not_found, why);
        return hls::hls_response(ctx.req, *hls, ctx.param("name"));
    });
    routes.add({verb::put}, "/live/{id}", [&state](const http::request_context& ctx) { return state.ingest.handle(ctx); },
               live::ingest_endpoint::route_options());
    routes.add({verb::get}, "/admin/metadata", [&state](const http::request_context& ctx) { return admin_metadata(state, ctx); });
    routes.add({verb::get}, "/status-json.xsl", [&state](const http::request_context&) {
        const auto& listen = state.station.config().listen;
        return text_reply(status::ok, state.station.icecast_status_json(listen.host, state.port()), "application/json; charset=utf-8");
    });
    add_admin_routes(routes, state);
}

}  // namespace timeside::server
