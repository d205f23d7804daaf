// Parsing an icecast:// push URL, with messages a station operator can act on; user and password
// may be percent-encoded (a password with '@' or ':').
#include "server/live/icecast_push_target.hpp"

#include <cctype>

#include <fmt/format.h>

#include "core/errors.hpp"

namespace timeside::server::live {

namespace {

std::string percent_decode(std::string_view s, std::string_view what) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out += s[i];
            continue;
        }
        auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
        if (i + 2 >= s.size() || !hex(s[i + 1]) || !hex(s[i + 2]))
            throw usage_error(fmt::format("a bad %-escape in the {}", what));
        out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
        i += 2;
    }
    return out;
}

}  // namespace

std::string push_target::redacted() const {
    const bool v6 = host.find(':') != std::string::npos;
    return fmt::format("icecast://{}:***@{}{}{}:{}{}", user, v6 ? "[" : "", host, v6 ? "]" : "", port, mount);
}

push_target parse_push_url(std::string_view url) {
    push_target t;
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos)
        throw usage_error("not a URL: expected icecast://source:PASSWORD@host:port/mount");
    const std::string_view scheme = url.substr(0, scheme_end);
    if (scheme != "icecast" && scheme != "http")
        throw usage_error(fmt::format("scheme '{}': expected icecast:// (or http://) followed by source:PASSWORD@host:port/mount",
                                      scheme));
    std::string_view rest = url.substr(scheme_end + 3);
    const auto slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    const std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
    const auto at = authority.rfind('@');
    if (at == std::string_view::npos)
        throw usage_error("no credentials: a source client authenticates, write icecast://source:PASSWORD@host:port/mount");
    const std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    const auto colon = userinfo.find(':');
    if (colon == std::string_view::npos || colon + 1 == userinfo.size())
        throw usage_error("no password: write icecast://source:PASSWORD@host:port/mount");
    t.user = percent_decode(userinfo.substr(0, colon), "user");
    t.password = percent_decode(userinfo.substr(colon + 1), "password");
    if (t.user.empty()) throw usage_error("no user before the password: Icecast's source user is 'source'");
    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) throw usage_error("an IPv6 host without its closing ']'");
        t.host = std::string(authority.substr(1, close - 1));
        const std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') throw usage_error("expected ':port' after the IPv6 host");
            port_text = after.substr(1);
            if (port_text.empty()) throw usage_error("an empty port after ':'");
        }
    } else {
        const auto c = authority.find(':');
        t.host = std::string(authority.substr(0, c));
        if (c != std::string_view::npos) {
            port_text = authority.substr(c + 1);
            if (port_text.empty()) throw usage_error("an empty port after ':'");
        }
    }
    if (t.host.empty()) throw usage_error("no host: write icecast://source:PASSWORD@host:port/mount");
    for (char ch : t.host)
        if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-' || ch == '_' || ch == ':'))
            throw usage_error(fmt::format("host '{}': not a host name or address", t.host));
    if (!port_text.empty()) {
        unsigned long p = 0;
        for (char ch : port_text) {
            if (!std::isdigit(static_cast<unsigned char>(ch)) || p > 65535)
                throw usage_error(fmt::format("port '{}': expected a number from 1 to 65535", port_text));
            p = p * 10 + static_cast<unsigned long>(ch - '0');
        }
        if (p < 1 || p > 65535) throw usage_error(fmt::format("port '{}': expected a number from 1 to 65535", port_text));
        t.port = static_cast<uint16_t>(p);
    }
    if (path.size() < 2) throw usage_error("no mount: the URL needs a path, as icecast://source:PASSWORD@host:port/live.mp3");
    for (char ch : path)
        if (static_cast<unsigned char>(ch) <= ' ' || ch == '?' || ch == '#' || ch == '%' || ch == '\x7f')
            throw usage_error(fmt::format("mount '{}': a mount path has no spaces, query, fragment or escapes", path));
    t.mount = std::string(path);
    return t;
}

}  // namespace timeside::server::live
