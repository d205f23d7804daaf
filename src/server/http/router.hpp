// Routes requests to handlers by method and path pattern. Patterns are segments of literals and
// parameters: `/api/items/{id+}` ({name+} spans slashes; at most one per pattern),
// `/media/{id+}.{ext}`, `/api/items/{id+}/graphs/{grapher}.png`. The router decodes the path,
// refuses what could escape a folder (`.`/`..` segments, encoded slashes, NUL) with 400, answers
// 404 / 405 as JSON, and turns handler exceptions into JSON errors.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/verb.hpp>

#include "core/parameters.hpp"
#include "server/http/reply.hpp"

namespace timeside::server::http {

using verb = bhttp::verb;

struct request_context {
    const request& req;
    std::string path;                           // percent-decoded
    std::string query;                          // raw, after '?'
    std::map<std::string, std::string> params;  // from the pattern, decoded

    const std::string& param(const std::string& name) const { return params.at(name); }
    // The query as raw parameters; a malformed query is a usage_error (400).
    raw_parameters query_params() const { return parse_query(query); }
};

// A query parameter in seconds, from 0 to `max` (excluded); a usage_error naming it otherwise.
double query_seconds(const param_value& value, const char* name, double max = 1e9);

using handler = std::function<reply(const request_context&)>;

struct route_options {
    // The handler is called once the head is read, before any body byte (an Icecast source's
    // body never ends): it answers (the session then closes, the body unread) or takes over.
    bool stream_body = false;
    // Methods Beast does not know (verb::unknown), by name: Icecast's legacy `SOURCE`.
    std::vector<std::string> extra_methods;
    // Request headers a browser may send, added to the CORS preflight's list (`Icy-MetaData`).
    std::vector<std::string> cors_headers;
};

// A decoded path, or the reason it is refused (400).
struct decoded_path {
    std::string path;
    std::string error;  // empty when the path is acceptable
};
decoded_path decode_path(std::string_view raw_path);

class route_pattern {
public:
    // Throws std::invalid_argument on a malformed pattern (a programming error).
    explicit route_pattern(std::string_view pattern);
    // The parameters when `path` (decoded) matches.
    std::optional<std::map<std::string, std::string>> match(std::string_view path) const;

private:
    struct token {
        std::string text;  // literal text, or the parameter's name
        bool param = false;
        bool greedy = false;
    };
    using segment = std::vector<token>;
    static bool match_segment(const segment& seg, size_t first_token, std::string_view text,
                              std::map<std::string, std::string>& out);

    std::vector<segment> segments_;
    int greedy_ = -1;  // the segment holding the {name+} parameter
};

class router {
public:
    // GET routes answer HEAD too (the session sends the headers only).
    void add(std::vector<verb> methods, std::string_view pattern, handler h, route_options options = {});
    // Whether the route this request goes to reads its own body (route_options::stream_body).
    bool streams_body(const request& req) const;
    // Never throws: every failure becomes a JSON error response. OPTIONS on a known path is
    // answered here (CORS preflight: 204 with the methods and headers browsers may use).
    // `route`, when given, receives the matched pattern ("unmatched" when none did): the metrics
    // label by pattern, so that their cardinality stays bounded whatever paths clients send.
    reply dispatch(const request& req, std::string_view* route = nullptr) const;

private:
    struct route {
        std::vector<verb> methods;
        route_pattern pattern;
        handler h;
        std::string text;  // the pattern as written
        route_options options;
        bool accepts(const request& req) const;
    };
    std::vector<route> routes_;
};

}  // namespace timeside::server::http
