// The web pages: GET / answers the web folder's index.html, GET /{path} its other files, in
// subfolders too (js/home.js, lib/uplot@1.6.31/uPlot.esm.js), known types only, with the same
// Content-Length, ETag and 304 as cached outputs. Registered last: every API path goes first.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "server/http/router.hpp"

namespace timeside::server {

struct web_state {
    std::filesystem::path folder;  // absent: / answers 404 naming it
};

// A file the web folder may serve, and how.
struct web_file {
    std::filesystem::path path;  // canonical, inside the folder
    std::string content_type;
    // Under lib/ in a folder named with its version (`name@1.2.3`): the URL never names other
    // bytes, so browsers may keep it a year without asking again.
    bool immutable = false;
};

// `relative` (decoded, without its leading '/') resolved in `folder`: at most 8 segments of
// [A-Za-z0-9._-], none hidden (leading '.'), a known extension, a regular file whose canonical
// path stays inside the folder (a symlink out is refused). nullopt when refused or missing.
std::optional<web_file> resolve_web_file(const std::filesystem::path& folder, std::string_view relative);

void add_web_routes(http::router& routes, const web_state& state);

}  // namespace timeside::server
