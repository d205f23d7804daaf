// The admin's JSON routes and the credentials check all /admin/* routes share. A reload runs on the
// station's reload thread, as SIGHUP's does; the request's answer waits for it off the network threads.
#include "server/admin_routes.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "server/http/deferred_body.hpp"
#include "server/live/credentials.hpp"
#include "server/log.hpp"

namespace timeside::server {

using http::status;

std::optional<http::response> admin_refusal(const live::station& station, const http::request_context& ctx, bool json) {
    const auto& config = station.config();
    const std::string_view authorization = ctx.req[http::bhttp::field::authorization];
    if (!config.admin_password.empty() &&
        live::basic_credentials_match(authorization, config.admin_user, config.admin_password))
        return std::nullopt;
    const std::string message =
        config.admin_password.empty() ? "admin credentials are not configured ([live] admin_password): /admin is closed"
        : authorization.empty()       ? "admin credentials required (HTTP Basic, the [live] admin_user and admin_password)"
                                      : "wrong admin credentials";
    http::response res;
    if (json) {
        res = http::error_reply(status::unauthorized, message);
    } else {
        res = http::response{status::unauthorized, 11};
        res.set(http::bhttp::field::content_type, "text/plain; charset=utf-8");
        res.body() = message + "\n";
    }
    res.set(http::bhttp::field::www_authenticate, live::basic_challenge);
    res.set(http::bhttp::field::cache_control, "no-store");
    res.prepare_payload();
    return res;
}

void add_admin_routes(http::router& routes, live_state& state) {
    using http::verb;
    routes.add({verb::get}, "/admin/api/mounts", [&state](const http::request_context& ctx) -> http::reply {
        if (auto refusal = admin_refusal(state.station, ctx, true)) return std::move(*refusal);
        auto res = http::json_reply(status::ok, state.station.admin_mounts_json());
        res.set(http::bhttp::field::cache_control, "no-store");
        return res;
    });
    routes.add({verb::get}, "/admin/api/mounts/{id}/listeners", [&state](const http::request_context& ctx) -> http::reply {
        if (auto refusal = admin_refusal(state.station, ctx, true)) return std::move(*refusal);
        auto body = state.station.admin_mount_json(ctx.param("id"));
        if (!body) throw http::http_error(status::not_found, fmt::format("no such mount: '{}'", ctx.param("id")));
        auto res = http::json_reply(status::ok, *body);
        res.set(http::bhttp::field::cache_control, "no-store");
        return res;
    });
    routes.add({verb::post}, "/admin/api/reload", [&state](const http::request_context& ctx) -> http::reply {
        if (auto refusal = admin_refusal(state.station, ctx, true)) return std::move(*refusal);
        log(log_level::info, "admin", {{"action", "reload"}});
        // Answered when the station's reload thread has run it: the head waits for the body.
        auto body = std::make_shared<http::deferred_body>();
        state.station.request_reload([body, &station = state.station](const std::optional<live::reload_report>& report) {
            if (report) body->complete(http::json_text(station.reload_json(*report)));
            else body->fail(status::service_unavailable, "the server is shutting down: the streams folder was not reloaded");
        });
        http::response res{status::ok, ctx.req.version()};
        res.set(http::bhttp::field::content_type, "application/json");
        res.set(http::bhttp::field::cache_control, "no-store");
        return http::reply(std::move(res), body);
    });
}

}  // namespace timeside::server
