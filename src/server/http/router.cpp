// Pattern matching by segments (no regex: it runs on every request), path decoding with the
// refusals that keep every lookup inside the media folders, the refusal of request text that is
// not UTF-8, and errors as JSON.
#include "server/http/router.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include <boost/beast/http/field.hpp>
#include <fmt/format.h>

#include "core/errors.hpp"
#include "core/text.hpp"
#include "core/utf8.hpp"

namespace timeside::server::http {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Percent-decoding for the UTF-8 check alone: a malformed escape is kept as it is (the handler
// that reads the query refuses it, parse_query), '+' needs no decoding to be checked.
std::string percent_decoded(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        const int hi = s[i] == '%' && i + 2 < s.size() ? hex_value(s[i + 1]) : -1;
        const int lo = hi >= 0 ? hex_value(s[i + 2]) : -1;
        if (lo < 0) {
            out += s[i];
            continue;
        }
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return out;
}

// The request headers some handler reads (file_reply: conditional and range requests). Other
// headers never reach a message or a log, so their bytes are not our concern.
constexpr bhttp::field read_headers[] = {bhttp::field::range, bhttp::field::if_none_match, bhttp::field::if_range};

// Why the request's text is refused, or empty: every string a handler can get from the request
// (and so put in JSON or a log) must be UTF-8. Checked here, once, before any handler runs.
std::string invalid_utf8_in(const request& req, std::string_view target, const std::string& path) {
    const auto invalid = [](std::string_view text) { return !is_valid_utf8(text); };
    if (invalid(target)) return fmt::format("the request target: {}", describe_invalid_utf8(target));
    if (invalid(path)) return fmt::format("the path (percent-decoded): {}", describe_invalid_utf8(path));
    const size_t q = target.find('?');
    if (q != std::string_view::npos) {
        for (auto item : split(target.substr(q + 1), '&')) {
            const size_t eq = item.find('=');
            const std::string_view raw_name = item.substr(0, eq);
            const std::string name = percent_decoded(raw_name);
            if (invalid(name))
                return fmt::format("the query parameter name '{}' (percent-decoded): {}", raw_name, describe_invalid_utf8(name));
            if (eq == std::string_view::npos) continue;
            const std::string value = percent_decoded(item.substr(eq + 1));
            if (invalid(value))
                return fmt::format("the query parameter '{}' (percent-decoded): {}", name, describe_invalid_utf8(value));
        }
    }
    for (const auto field : read_headers) {
        const auto [first, last] = req.equal_range(field);
        for (auto h = first; h != last; ++h)
            if (const std::string_view value(h->value().data(), h->value().size()); invalid(value))
                return fmt::format("the {} header: {}", std::string(bhttp::to_string(field)), describe_invalid_utf8(value));
    }
    return {};
}

bool allows(const std::vector<verb>& methods, verb v) {
    auto has = [&](verb m) { return std::find(methods.begin(), methods.end(), m) != methods.end(); };
    return has(v) || (v == verb::head && has(verb::get));
}

}  // namespace

decoded_path decode_path(std::string_view raw) {
    decoded_path out;
    if (raw.empty() || raw.front() != '/') {
        out.error = "the request target must be a path starting with '/'";
        return out;
    }
    out.path.reserve(raw.size());
    for (size_t i = 0; i < raw.size(); ++i) {
        char c = raw[i];
        if (c == '%') {
            int hi = i + 2 < raw.size() ? hex_value(raw[i + 1]) : -1;
            int lo = hi >= 0 ? hex_value(raw[i + 2]) : -1;
            if (lo < 0) {
                out.error = "malformed percent-encoding in the path";
                return out;
            }
            c = static_cast<char>(hi * 16 + lo);
            if (c == '/' || c == '\\' || c == '\0') {
                out.error = "encoded '/', '\\' or NUL in the path are not allowed";
                return out;
            }
            i += 2;
        } else if (c == '\\') {
            out.error = "'\\' in the path is not allowed";
            return out;
        }
        out.path += c;
    }
    for (auto seg : split(std::string_view(out.path).substr(1), '/'))
        if (seg == "." || seg == "..") {
            out.error = "'.' and '..' path segments are not allowed";
            return out;
        }
    return out;
}

route_pattern::route_pattern(std::string_view pattern) {
    if (pattern.empty() || pattern.front() != '/') throw std::invalid_argument("route pattern must start with '/'");
    for (auto text : split(pattern.substr(1), '/')) {
        segment seg;
        size_t pos = 0;
        while (pos < text.size()) {
            if (text[pos] == '{') {
                size_t close = text.find('}', pos);
                if (close == std::string_view::npos) throw std::invalid_argument("unclosed '{' in route pattern");
                token t{std::string(text.substr(pos + 1, close - pos - 1)), true, false};
                if (!t.text.empty() && t.text.back() == '+') {
                    t.text.pop_back();
                    t.greedy = true;
                    if (greedy_ >= 0) throw std::invalid_argument("at most one {name+} per route pattern");
                    greedy_ = static_cast<int>(segments_.size());
                }
                if (t.text.empty() || (!seg.empty() && seg.back().param))
                    throw std::invalid_argument("route parameters need a name and a literal between them");
                seg.push_back(std::move(t));
                pos = close + 1;
            } else {
                size_t open = std::min(text.find('{', pos), text.size());
                seg.push_back({std::string(text.substr(pos, open - pos)), false, false});
                pos = open;
            }
        }
        segments_.push_back(std::move(seg));
    }
}

bool route_pattern::match_segment(const segment& seg, size_t i, std::string_view text,
                                  std::map<std::string, std::string>& out) {
    if (i == seg.size()) return text.empty();
    const token& t = seg[i];
    if (!t.param) return text.starts_with(t.text) && match_segment(seg, i + 1, text.substr(t.text.size()), out);
    auto acceptable = [&](std::string_view v) { return !v.empty() && (t.greedy || v.find('/') == std::string_view::npos); };
    if (i + 1 == seg.size()) {
        if (!acceptable(text)) return false;
        out[t.text] = std::string(text);
        return true;
    }
    // The next token is a literal: the parameter ends at its last occurrence that lets the rest match.
    const std::string& lit = seg[i + 1].text;
    for (size_t pos = text.rfind(lit); pos != std::string_view::npos && pos > 0; pos = text.rfind(lit, pos - 1)) {
        std::string_view value = text.substr(0, pos);
        if (acceptable(value) && match_segment(seg, i + 2, text.substr(pos + lit.size()), out)) {
            out[t.text] = std::string(value);
            return true;
        }
    }
    return false;
}

std::optional<std::map<std::string, std::string>> route_pattern::match(std::string_view path) const {
    if (path.empty() || path.front() != '/') return std::nullopt;
    const auto segs = split(path.substr(1), '/');
    const size_t n = segments_.size();
    std::map<std::string, std::string> out;
    if (greedy_ < 0) {
        if (segs.size() != n) return std::nullopt;
        for (size_t k = 0; k < n; ++k)
            if (!match_segment(segments_[k], 0, segs[k], out)) return std::nullopt;
        return out;
    }
    const auto g = static_cast<size_t>(greedy_);
    if (segs.size() < n) return std::nullopt;
    const size_t tail = n - 1 - g;              // pattern segments after the greedy one
    const size_t middle_end = segs.size() - tail;  // path segments [g, middle_end) form the greedy one
    for (size_t k = 0; k < g; ++k)
        if (!match_segment(segments_[k], 0, segs[k], out)) return std::nullopt;
    for (size_t k = 0; k < tail; ++k)
        if (!match_segment(segments_[g + 1 + k], 0, segs[middle_end + k], out)) return std::nullopt;
    // The greedy segment's text is the path between them, slashes included.
    const char* first = segs[g].data();
    const char* last = segs[middle_end - 1].data() + segs[middle_end - 1].size();
    if (!match_segment(segments_[g], 0, std::string_view(first, static_cast<size_t>(last - first)), out))
        return std::nullopt;
    return out;
}

void router::add(std::vector<verb> methods, std::string_view pattern, handler h, route_options options) {
    routes_.push_back({std::move(methods), route_pattern(pattern), std::move(h), std::string(pattern), std::move(options)});
}

bool router::route::accepts(const request& req) const {
    if (allows(methods, req.method())) return true;
    if (req.method() != verb::unknown) return false;
    const std::string_view name(req.method_string().data(), req.method_string().size());
    return std::find(options.extra_methods.begin(), options.extra_methods.end(), name) != options.extra_methods.end();
}

bool router::streams_body(const request& req) const {
    const std::string_view target(req.target().data(), req.target().size());
    const decoded_path decoded = decode_path(target.substr(0, target.find('?')));
    if (!decoded.error.empty()) return false;  // dispatch() refuses it; the body is not read
    for (const auto& r : routes_)
        if (r.accepts(req) && r.pattern.match(decoded.path)) return r.options.stream_body;
    return false;
}

double query_seconds(const param_value& value, const char* name, double max) {
    double s = -1;
    const auto* text = std::get_if<std::string>(&value);
    if (text) {
        auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), s);
        if (ec != std::errc{} || end != text->data() + text->size()) s = -1;
    }
    if (!(s >= 0 && s < max))
        throw usage_error(fmt::format("{}: expected a number of seconds from 0 to {} (excluded), got '{}'", name, max,
                                      text ? *text : "?"));
    return s;
}

reply router::dispatch(const request& req, std::string_view* route) const {
    if (route) *route = "unmatched";
    const std::string_view target(req.target().data(), req.target().size());
    const size_t q = target.find('?');
    decoded_path decoded = decode_path(target.substr(0, q));
    if (!decoded.error.empty()) return error_reply(status::bad_request, decoded.error);
    if (auto error = invalid_utf8_in(req, target, decoded.path); !error.empty())
        return error_reply(status::bad_request, error);
    std::vector<verb> allowed;
    std::vector<std::string> extra_allowed;
    for (const auto& r : routes_) {
        auto params = r.pattern.match(decoded.path);
        if (!params) continue;
        // The first pattern that matches names the request (a 405 counts under "/api/items", not
        // under the web folder's catch-all after it); the one that answers, if another, replaces it.
        if (route && *route == "unmatched") *route = r.text;
        if (req.method() == verb::options) {
            response res{status::no_content, 11};
            res.set(bhttp::field::access_control_allow_methods, "GET, HEAD, OPTIONS");
            std::string headers = "Range, If-None-Match, If-Range, Content-Type";
            for (const auto& h : r.options.cors_headers) headers += ", " + h;
            res.set(bhttp::field::access_control_allow_headers, headers);
            res.set(bhttp::field::access_control_max_age, "86400");
            return res;
        }
        if (!r.accepts(req)) {
            allowed.insert(allowed.end(), r.methods.begin(), r.methods.end());
            extra_allowed.insert(extra_allowed.end(), r.options.extra_methods.begin(), r.options.extra_methods.end());
            continue;
        }
        if (route) *route = r.text;
        request_context ctx{req, decoded.path, q == std::string_view::npos ? std::string() : std::string(target.substr(q + 1)),
                            std::move(*params)};
        try {
            return r.h(ctx);
        } catch (const http_error& e) {
            return error_reply(e.code(), e.what());
        } catch (const usage_error& e) {
            return error_reply(status::bad_request, e.what());
        } catch (const std::exception& e) {
            return error_reply(status::internal_server_error, e.what());
        } catch (...) {
            return error_reply(status::internal_server_error, "internal error");
        }
    }
    if (!allowed.empty()) {
        std::vector<std::string> names;
        for (verb v : allowed) names.emplace_back(bhttp::to_string(v));
        names.insert(names.end(), extra_allowed.begin(), extra_allowed.end());
        if (std::find(allowed.begin(), allowed.end(), verb::get) != allowed.end()) names.emplace_back("HEAD");
        std::sort(names.begin(), names.end());
        names.erase(std::unique(names.begin(), names.end()), names.end());
        auto res = error_reply(status::method_not_allowed,
                               fmt::format("method {} is not allowed on {}; allowed: {}",
                                           std::string(req.method_string()), decoded.path,
                                           fmt::join(names, ", ")));
        res.set(bhttp::field::allow, fmt::format("{}", fmt::join(names, ", ")));
        return res;
    }
    return error_reply(status::not_found, fmt::format("no such resource: {}", decoded.path));
}

}  // namespace timeside::server::http
