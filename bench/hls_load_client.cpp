// hls_load_client: N simulated HLS players of one media playlist from a single process (epoll),
// for bench/hls.py: each player holds one keep-alive HTTP/1.1 connection, reloads the playlist
// once an interval (hls.js at the live edge: once a target duration) and fetches every segment
// it has not fetched yet, starting from the newest listed. At the end a JSON summary: players that
// kept up (every segment from the first they saw to the last listed, no error), requests, errors,
// and the segment numbers fetched. Raises RLIMIT_NOFILE itself.
//
//   hls_load_client http://127.0.0.1:8080/live/x/index.m3u8 -n 10000 -d 20 [--spread 2] [--interval 2]
#include <netdb.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "load_client_common.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

struct options {
    bench::load_options load;  // the URL, -n players, -d seconds (--ramp: not used, players connect at once)
    std::string dir;            // the playlist's folder, where segment names resolve
    double spread = 2, interval = 2;
};

struct player {
    int fd = -1;
    bool connected = false, busy = false, failed = false;
    clock_type::time_point next_cycle;
    std::deque<std::string> todo;  // segment names still to fetch this cycle
    std::string in;                 // bytes of the answer being read
    bool reading_playlist = false;
    uint64_t requested_seq = 0;
    std::set<uint64_t> got;
    bool seen_first = false;
    uint64_t first = 0, last = 0;
    unsigned errors = 0;
};

[[noreturn]] void usage(const char* why) {
    std::fprintf(stderr, "hls_load_client: %s\nusage: hls_load_client http://HOST:PORT/PATH/index.m3u8 [-n N] [-d SECONDS] "
                         "[--spread SECONDS] [--interval SECONDS]\n", why);
    std::exit(2);
}

options parse(int argc, char** argv) {
    options o;
    bench::parse_load_options(argc, argv, "http", o.load, [&](const std::string& name, const std::function<const char*()>& value) {
        if (name == "--spread") o.spread = std::atof(value());
        else if (name == "--interval") o.interval = std::atof(value());
        else return false;
        return true;
    }, usage);
    if (o.interval <= 0 || o.spread < 0) usage("--interval must be positive, --spread not negative");
    o.dir = o.load.url.path.substr(0, o.load.url.path.rfind('/') + 1);
    return o;
}

// "seg-{n}-{frame}.mp3" lines of a playlist: (n, name).
std::vector<std::pair<uint64_t, std::string>> segment_lines(const std::string& body) {
    std::vector<std::pair<uint64_t, std::string>> out;
    size_t at = 0;
    while (at < body.size()) {
        size_t end = body.find('\n', at);
        if (end == std::string::npos) end = body.size();
        const std::string line = body.substr(at, end - at);
        if (line.rfind("seg-", 0) == 0) out.emplace_back(std::strtoull(line.c_str() + 4, nullptr, 10), line);
        at = end + 1;
    }
    return out;
}

// A whole answer in `in`: its status and body (Content-Length framing: nginx's and ours); false
// while incomplete. Chunked answers are not expected here (cached playlists and segments).
bool complete(std::string& in, int& status, std::string& body) {
    const size_t blank = in.find("\r\n\r\n");
    if (blank == std::string::npos) return false;
    status = std::atoi(in.c_str() + std::min(in.find(' ') + 1, in.size()));
    size_t length = 0;
    for (size_t at = in.find("\r\n") + 2; at < blank;) {
        const size_t end = in.find("\r\n", at);
        const std::string line = in.substr(at, end - at);
        if (line.size() > 15 && strncasecmp(line.c_str(), "content-length:", 15) == 0) length = std::strtoul(line.c_str() + 15, nullptr, 10);
        at = end + 2;
    }
    if (in.size() < blank + 4 + length) return false;
    body = in.substr(blank + 4, length);
    in.erase(0, blank + 4 + length);
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    const options o = parse(argc, argv);
    bench::raise_nofile(o.load.connections, "hls_load_client");
    addrinfo hints{}, *res = nullptr;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(o.load.url.host.c_str(), o.load.url.port.c_str(), &hints, &res) != 0 || !res) usage("cannot resolve the host");
    const std::string host = "Host: " + o.load.url.host + ":" + o.load.url.port + "\r\n";
    auto get = [&](const std::string& path) { return "GET " + path + " HTTP/1.1\r\n" + host + "User-Agent: timeside-hls-load\r\n\r\n"; };
    const std::string playlist_request = get(o.load.url.path);

    const int ep = epoll_create1(EPOLL_CLOEXEC);
    std::vector<player> players(static_cast<size_t>(o.load.connections));
    std::mt19937 rng(14);
    std::uniform_real_distribution<double> join(0, o.spread);
    const auto start = clock_type::now();
    const auto end = start + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(o.load.seconds));
    const auto interval = std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(o.interval));
    uint64_t connect_errors = 0, playlist_requests = 0, segment_requests = 0, not_found = 0, other_errors = 0;

    auto fail = [&](player& p) {
        if (p.fd >= 0) {
            epoll_ctl(ep, EPOLL_CTL_DEL, p.fd, nullptr);
            ::close(p.fd);
        }
        p.fd = -1;
        p.failed = true;
        ++p.errors;
    };
    auto send_request = [&](player& p, const std::string& text) {
        if (::send(p.fd, text.data(), text.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(text.size())) return fail(p);
        p.busy = true;
    };
    auto next_segment_or_rest = [&](player& p) {
        if (p.todo.empty()) {
            p.busy = false;
            return;
        }
        const std::string name = p.todo.front();
        p.todo.pop_front();
        p.reading_playlist = false;
        p.requested_seq = std::strtoull(name.c_str() + 4, nullptr, 10);
        ++segment_requests;
        send_request(p, get(o.dir + name));
    };

    for (size_t i = 0; i < players.size(); ++i) {
        player& p = players[i];
        p.next_cycle = start + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(join(rng)));
        p.fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (p.fd < 0 || (connect(p.fd, res->ai_addr, res->ai_addrlen) != 0 && errno != EINPROGRESS)) {
            ++connect_errors;
            fail(p);
            continue;
        }
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
        ev.data.u32 = static_cast<uint32_t>(i);
        epoll_ctl(ep, EPOLL_CTL_ADD, p.fd, &ev);
    }

    std::vector<epoll_event> events(4096);
    static char buf[1 << 16];
    auto last_scan = clock_type::time_point{};
    while (clock_type::now() < end) {
        const int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 5);
        const auto now = clock_type::now();
        for (int k = 0; k < n; ++k) {
            player& p = players[events[static_cast<size_t>(k)].data.u32];
            if (p.fd < 0) continue;
            const uint32_t e = events[static_cast<size_t>(k)].events;
            if (!p.connected && (e & EPOLLOUT)) {
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(p.fd, SOL_SOCKET, SO_ERROR, &err, &len);
                if (err != 0) {
                    ++connect_errors;
                    fail(p);
                    continue;
                }
                p.connected = true;
                epoll_event ev{};
                ev.events = EPOLLIN | EPOLLRDHUP;
                ev.data.u32 = events[static_cast<size_t>(k)].data.u32;
                epoll_ctl(ep, EPOLL_CTL_MOD, p.fd, &ev);
            }
            if (!(e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) continue;
            for (;;) {
                const ssize_t r = ::recv(p.fd, buf, sizeof buf, 0);
                if (r > 0) {
                    p.in.append(buf, static_cast<size_t>(r));
                    continue;
                }
                if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) fail(p);
                break;
            }
            int status = 0;
            std::string body;
            while (p.fd >= 0 && p.busy && complete(p.in, status, body)) {
                if (p.reading_playlist) {
                    if (status != 200) {
                        ++other_errors, ++p.errors;
                        p.busy = false;
                        break;
                    }
                    const auto listed = segment_lines(body);
                    if (!listed.empty()) {
                        if (!p.seen_first) p.first = listed.back().first, p.seen_first = true;
                        p.last = listed.back().first;
                        if (p.got.empty()) p.todo.push_back(listed.back().second);
                        else
                            for (const auto& [seq, name] : listed)
                                if (seq >= p.first && !p.got.count(seq)) p.todo.push_back(name);
                    }
                } else if (status == 200) {
                    p.got.insert(p.requested_seq);
                } else {
                    ++p.errors;
                    ++(status == 404 ? not_found : other_errors);
                }
                next_segment_or_rest(p);
            }
        }
        // Players whose next reload is due (scanned every 10 ms: a bound on their lateness).
        if (now - last_scan >= std::chrono::milliseconds(10)) {
            last_scan = now;
            for (auto& p : players) {
                if (p.fd < 0 || !p.connected || p.busy || now < p.next_cycle) continue;
                p.next_cycle += interval;
                if (p.next_cycle < now) p.next_cycle = now + interval;  // late: reload once, not a burst
                p.reading_playlist = true;
                ++playlist_requests;
                send_request(p, playlist_request);
            }
        }
    }
    uint64_t kept_up = 0, fetched = 0, failed = 0;
    std::set<uint64_t> distinct;
    for (auto& p : players) {
        const uint64_t expected = p.seen_first ? p.last - p.first + 1 : 0;
        if (expected && p.got.size() >= expected && !p.errors && !p.failed) ++kept_up;
        fetched += p.got.size();
        failed += p.failed ? 1 : 0;
        distinct.insert(p.got.begin(), p.got.end());
        if (p.fd >= 0) ::close(p.fd);
    }
    std::printf("{\"players\": %d, \"kept_up\": %lu, \"failed_connections\": %lu, \"connect_errors\": %lu, "
                "\"playlist_requests\": %lu, \"segment_requests\": %lu, \"segments_got\": %lu, \"not_found\": %lu, "
                "\"other_errors\": %lu, \"seqs\": [",
                o.load.connections, static_cast<unsigned long>(kept_up), static_cast<unsigned long>(failed),
                static_cast<unsigned long>(connect_errors), static_cast<unsigned long>(playlist_requests),
                static_cast<unsigned long>(segment_requests), static_cast<unsigned long>(fetched),
                static_cast<unsigned long>(not_found), static_cast<unsigned long>(other_errors));
    bool first = true;
    for (auto s : distinct) std::printf("%s%lu", first ? "" : ", ", static_cast<unsigned long>(s)), first = false;
    std::printf("]}\n");
    freeaddrinfo(res);
    ::close(ep);
    return 0;
}
