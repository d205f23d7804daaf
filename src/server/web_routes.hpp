// The web pages: GET / answers the web folder's index.html, GET /{file} its other files (one
// level, known types only: html, css, js, mjs, json, svg, png, ico, wasm), with the same
// Content-Length, ETag and 304 as cached outputs. Registered last: every API path goes first.
#pragma once

#include <filesystem>

#include "server/http/router.hpp"

namespace timeside::server {

struct web_state {
    std::filesystem::path folder;  // absent: / answers 404 naming it
};

void add_web_routes(http::router& routes, const web_state& state);

}  // namespace timeside::server
