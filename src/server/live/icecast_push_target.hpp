// Where an output is pushed as an Icecast source client: `[[outputs]] push = ["icecast://user:
// PASS@host:port/mount"]`, parsed and checked once at load. The password is kept for the
// requests only; everything shown (status, logs) uses redacted().
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace timeside::server::live {

struct push_target {
    std::string user;      // "source" (Icecast's source user) unless the URL names another
    std::string password;  // never logged nor shown
    std::string host;      // a name, an IPv4 address or a bracketed IPv6 one's inside
    uint16_t port = 8000;  // Icecast's default when the URL has none
    std::string mount;     // "/live.mp3": starts with '/', no query, no spaces

    // "icecast://source:***@host:port/mount": the URL as shown.
    std::string redacted() const;
    bool operator==(const push_target&) const = default;
};

// Parses icecast://[user[:password]@]host[:port]/mount (also http:// for the same). Throws
// usage_error saying what is wrong: the scheme, a missing host, a port out of 1..65535, a mount
// that is not an absolute path, missing credentials (a source client must authenticate). The
// message never contains the password.
push_target parse_push_url(std::string_view url);

}  // namespace timeside::server::live
