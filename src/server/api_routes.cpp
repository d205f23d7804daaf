// Listings are pre-serialized (the library's snapshot, the catalog at start), so the hot
// handlers copy a string and nothing else.
#include "server/api_routes.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace timeside::server {

using http::status;

namespace {

const media::media_item& find_item(const media::library_snapshot& snap, const std::string& id) {
    if (const auto* item = snap.find(id)) return *item;
    throw http::http_error(status::not_found, fmt::format("no item '{}' in the media library", id));
}

}  // namespace

void add_api_routes(http::router& routes, const api_state& state) {
    using http::verb;
    routes.add({verb::get}, "/api/items", [&state](const http::request_context&) {
        return http::json_reply(status::ok, state.library.snapshot()->listing_json);
    });
    routes.add({verb::get}, "/api/items/{id+}", [&state](const http::request_context& ctx) {
        auto snap = state.library.snapshot();
        return http::json_reply(status::ok, media::to_json(find_item(*snap, ctx.param("id"))));
    });
    routes.add({verb::get}, "/api/processors", [&state](const http::request_context&) {
        return http::json_reply(status::ok, state.processors_json);
    });
    routes.add({verb::get}, "/api/presets", [&state](const http::request_context&) {
        return http::json_reply(status::ok, state.presets_json);
    });
}

}  // namespace timeside::server
