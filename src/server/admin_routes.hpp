// The admin's routes, behind the [live] admin_user / admin_password Basic credentials: the check
// every /admin/* route shares (401 with WWW-Authenticate, and a closed door while no password is
// set), and the JSON routes the dashboard's admin page uses (docs/server.md, "Admin").
#pragma once

#include <optional>

#include "server/http/router.hpp"
#include "server/live_routes.hpp"

namespace timeside::server {

// Nothing when the request carries the admin credentials; else the 401 to answer, naming what was
// wrong (no password configured, or wrong/missing credentials), as text (`json` false: Icecast's
// /admin/metadata) or as the JSON error every other route answers.
std::optional<http::response> admin_refusal(const live::station& station, const http::request_context& ctx, bool json);

// GET /admin/api/mounts: every mount's source and listeners;
// GET /admin/api/mounts/{id}/listeners: one mount's (live::station::admin_mount_json).
// POST /admin/api/reload: reads the streams folder again, as SIGHUP does; each file's result.
void add_admin_routes(http::router& routes, live_state& state);

}  // namespace timeside::server
