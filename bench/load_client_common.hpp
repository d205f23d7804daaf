// What the compiled load clients of the benchmarks share: the URL they are given, split into host,
// port and path, the options every client takes (-n, -d, --ramp), and the open-files limit raised
// for the connections they open.
#pragma once

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
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

// The options every load client takes: its URL, -n connections, -d seconds, --ramp connects per
// second (a burst of SYNs overflows the listen backlog).
struct load_options {
    url_parts url;
    int connections = 100;
    double seconds = 20;
    int ramp_per_second = 2000;
};

// Reads argv: the URL (scheme://...) first, then -n, -d and --ramp; any other option goes to
// `extra(name, value)`, which takes it (calling `value()` when it has one) or returns false.
// Calls `usage(why)` (which does not return) for a missing URL, a wrong scheme, an unknown option,
// a missing value, or counts that are not positive.
inline void parse_load_options(int argc, char** argv, const std::string& scheme, load_options& o,
                               const std::function<bool(const std::string&, const std::function<const char*()>&)>& extra,
                               void (*usage)(const char*)) {
    if (argc < 2) usage("a URL is needed");
    if (!split_url(argv[1], scheme, o.url)) usage(("only " + scheme + ":// URLs").c_str());
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        const std::function<const char*()> value = [&]() -> const char* {
            if (i + 1 >= argc) usage(("missing value after " + a).c_str());
            return argv[++i];
        };
        if (a == "-n") o.connections = std::atoi(value());
        else if (a == "-d") o.seconds = std::atof(value());
        else if (a == "--ramp") o.ramp_per_second = std::atoi(value());
        else if (!extra(a, value)) usage(("unknown option " + a).c_str());
    }
    if (o.connections < 1 || o.seconds <= 0 || o.ramp_per_second < 1) usage("-n, -d and --ramp must be positive");
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
