// What the compiled load clients of the benchmarks share: the URL they are given, split into host,
// port and path, and the open-files limit raised for the connections they open.
#pragma once

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <string>

namespace bench {

struct url_parts {
    std::string host = "127.0.0.1", port = "8000", path = "/";
};

// `url` as scheme://HOST[:PORT][/PATH]; false when it does not start with `scheme`.
inline bool split_url(std::string url, const std::string& scheme, url_parts& out) {
    const std::string prefix = scheme + "://";
    if (url.rfind(prefix, 0) != 0) return false;
    url = url.substr(prefix.size());
    const size_t slash = url.find('/');
    const std::string authority = url.substr(0, slash);
    out.path = slash == std::string::npos ? "/" : url.substr(slash);
    const size_t colon = authority.rfind(':');
    out.host = authority.substr(0, colon);
    if (colon != std::string::npos) out.port = authority.substr(colon + 1);
    return true;
}

// Raises the soft RLIMIT_NOFILE (up to the hard limit) to hold `needed` sockets; says so on
// stderr, naming `who`, when the hard limit is lower.
inline void raise_nofile(int needed, const char* who) {
    rlimit r{};
    if (getrlimit(RLIMIT_NOFILE, &r) != 0) return;
    const rlim_t want = std::min<rlim_t>(r.rlim_max, static_cast<rlim_t>(needed) + 64);
    if (r.rlim_cur < want) {
        r.rlim_cur = want;
        setrlimit(RLIMIT_NOFILE, &r);
    }
    getrlimit(RLIMIT_NOFILE, &r);
    if (r.rlim_cur < static_cast<rlim_t>(needed) + 16)
        std::fprintf(stderr, "%s: RLIMIT_NOFILE is %lu (hard limit), fewer than %d connections will open\n", who,
                     static_cast<unsigned long>(r.rlim_cur), needed);
}

}  // namespace bench
