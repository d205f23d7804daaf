// live_load_client: N concurrent listeners of one live stream URL from a single process (epoll),
// for the fan-out benchmark against icecast2 and us. Each connection reads and counts bytes;
// every second one line of throughput, stalls (nothing received for more than 1 s) and
// disconnects; at the end a JSON summary for the bench script. Raises RLIMIT_NOFILE itself.
//
//   live_load_client http://127.0.0.1:8000/live/x.mp3 -n 2000 -d 30 [--ramp 1000] [--icy]
//                    [--expect-kbps 128] [--rcvbuf BYTES] [--quiet]
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "load_client_common.hpp"

namespace {

using bench::url_parts;

using clock_type = std::chrono::steady_clock;

struct options : bench::load_options {
    options() { seconds = 30; }
    bool icy = false;
    double expect_kbps = 0;  // when given: connections below 90% of it over the run are counted
    int rcvbuf = 0;
    bool quiet = false;
};

struct connection {
    int fd = -1;
    bool sent = false, head_done = false, open = false, stalled = false;
    int status = 0;
    std::string head;           // until the blank line
    uint64_t bytes = 0;         // body bytes
    uint64_t bytes_second = 0;  // in the current second
    clock_type::time_point last_rx, first_rx;
    bool got_data = false;
};

[[noreturn]] void usage(const char* why) {
    std::fprintf(stderr,
                 "live_load_client: %s\nusage: live_load_client http://HOST:PORT/PATH [-n N] [-d SECONDS] [--ramp PER_S] "
                 "[--icy] [--expect-kbps KBPS] [--rcvbuf BYTES] [--quiet]\n",
                 why);
    std::exit(2);
}

options parse(int argc, char** argv) {
    options o;
    parse_load_options(argc, argv, "http", o, [&o](const std::string& a, const std::function<const char*()>& value) {
        if (a == "--icy") o.icy = true;
        else if (a == "--expect-kbps") o.expect_kbps = std::atof(value());
        else if (a == "--rcvbuf") o.rcvbuf = std::atoi(value());
        else if (a == "--quiet") o.quiet = true;
        else return false;
        return true;
    }, usage);
    return o;
}

}  // namespace

int main(int argc, char** argv) {
    const options o = parse(argc, argv);
    bench::raise_nofile(o.connections, "live_load_client");

    addrinfo hints{}, *res = nullptr;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(o.url.host.c_str(), o.url.port.c_str(), &hints, &res) != 0 || !res) usage("cannot resolve the host");
    const std::string request = "GET " + o.url.path + " HTTP/1.0\r\nHost: " + o.url.host + ":" + o.url.port +
                                "\r\nUser-Agent: timeside-live-load\r\n" + (o.icy ? "Icy-MetaData: 1\r\n" : "") + "\r\n";

    const int ep = epoll_create1(EPOLL_CLOEXEC);
    std::vector<connection> conns(static_cast<size_t>(o.connections));
    uint64_t connect_errors = 0, disconnects = 0, refused = 0, stall_events = 0;
    int opened = 0, open_now = 0;

    const auto start = clock_type::now();
    const auto end = start + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(o.seconds));
    auto next_report = start + std::chrono::seconds(1);
    auto second_start = start;
    static char buf[1 << 16];
    std::vector<epoll_event> events(1024);
    uint64_t total_bytes = 0;

    auto close_conn = [&](connection& c, bool counted) {
        if (!c.open) return;
        epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
        ::close(c.fd);
        c.open = false;
        --open_now;
        if (counted) ++disconnects;
    };

    if (!o.quiet) std::printf("# t_s open receiving kbps_per_conn_avg kbps_per_conn_min stalled_now stall_events disconnects refused\n");
    while (clock_type::now() < end) {
        // Open what the ramp allows so far.
        const double elapsed = std::chrono::duration<double>(clock_type::now() - start).count();
        const int allowed = std::min(o.connections, static_cast<int>(elapsed * o.ramp_per_second) + 1);
        while (opened < allowed) {
            connection& c = conns[static_cast<size_t>(opened++)];
            c.fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (c.fd < 0) {
                ++connect_errors;
                continue;
            }
            if (o.rcvbuf > 0) setsockopt(c.fd, SOL_SOCKET, SO_RCVBUF, &o.rcvbuf, sizeof o.rcvbuf);
            if (connect(c.fd, res->ai_addr, res->ai_addrlen) != 0 && errno != EINPROGRESS) {
                ::close(c.fd);
                ++connect_errors;
                continue;
            }
            c.open = true;
            ++open_now;
            epoll_event ev{};
            ev.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP;
            ev.data.u32 = static_cast<uint32_t>(&c - conns.data());
            epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
        }
        const int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 20);
        const auto now = clock_type::now();
        for (int i = 0; i < n; ++i) {
            connection& c = conns[events[static_cast<size_t>(i)].data.u32];
            if (!c.open) continue;
            const uint32_t e = events[static_cast<size_t>(i)].events;
            if (!c.sent && (e & EPOLLOUT)) {
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
                if (err != 0 || ::send(c.fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
                    ++connect_errors;
                    close_conn(c, false);
                    continue;
                }
                c.sent = true;
                epoll_event ev{};
                ev.events = EPOLLIN | EPOLLRDHUP;
                ev.data.u32 = static_cast<uint32_t>(&c - conns.data());
                epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
            }
            if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
                for (;;) {
                    const ssize_t r = ::recv(c.fd, buf, sizeof buf, 0);
                    if (r > 0) {
                        size_t body = static_cast<size_t>(r);
                        if (!c.head_done) {
                            c.head.append(buf, static_cast<size_t>(r));
                            const size_t blank = c.head.find("\r\n\r\n");
                            if (blank == std::string::npos) {
                                if (c.head.size() > 16384) close_conn(c, true);
                                continue;
                            }
                            c.head_done = true;
                            c.status = std::atoi(c.head.c_str() + std::min<size_t>(c.head.find(' ') + 1, c.head.size()));
                            body = c.head.size() - blank - 4;
                            c.head.clear();
                            c.head.shrink_to_fit();
                            if (c.status != 200) {
                                ++refused;
                                close_conn(c, false);
                                break;
                            }
                        }
                        if (!c.got_data) c.first_rx = now;
                        c.got_data = true;
                        c.bytes += body;
                        c.bytes_second += body;
                        total_bytes += body;
                        c.last_rx = now;
                        if (c.stalled) c.stalled = false;
                        continue;
                    }
                    if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) close_conn(c, true);
                    break;
                }
            }
        }
        if (now >= next_report) {
            const double span = std::chrono::duration<double>(now - second_start).count();
            uint64_t receiving = 0, sum = 0, min = UINT64_MAX, stalled_now = 0;
            for (auto& c : conns) {
                if (!c.open || !c.got_data) continue;
                if (now - c.last_rx > std::chrono::seconds(1)) {
                    if (!c.stalled) ++stall_events;
                    c.stalled = true;
                    ++stalled_now;
                }
                ++receiving;
                sum += c.bytes_second;
                min = std::min(min, c.bytes_second);
                c.bytes_second = 0;
            }
            if (!o.quiet)
                std::printf("%.0f %d %lu %.1f %.1f %lu %lu %lu %lu\n", std::chrono::duration<double>(now - start).count(), open_now,
                            static_cast<unsigned long>(receiving), receiving ? sum * 8.0 / 1000 / span / static_cast<double>(receiving) : 0.0,
                            receiving ? min * 8.0 / 1000 / span : 0.0, static_cast<unsigned long>(stalled_now),
                            static_cast<unsigned long>(stall_events), static_cast<unsigned long>(disconnects),
                            static_cast<unsigned long>(refused));
            std::fflush(stdout);
            second_start = now;
            next_report += std::chrono::seconds(1);
        }
    }
    // Summary: per connection, the rate from its first byte to the end.
    const auto now = clock_type::now();
    uint64_t below = 0, receiving = 0;
    double min_kbps = 1e18, sum_kbps = 0;
    for (auto& c : conns) {
        if (!c.got_data) continue;
        const double s = std::chrono::duration<double>(now - c.first_rx).count();
        if (s < 1) continue;
        ++receiving;
        const double kbps = static_cast<double>(c.bytes) * 8 / 1000 / s;
        sum_kbps += kbps;
        min_kbps = std::min(min_kbps, kbps);
        if (o.expect_kbps > 0 && kbps < 0.9 * o.expect_kbps) ++below;
    }
    for (auto& c : conns) close_conn(c, false);
    std::printf("{\"connections\": %d, \"opened\": %d, \"receiving\": %lu, \"connect_errors\": %lu, \"refused\": %lu, "
                "\"disconnects\": %lu, \"stall_events\": %lu, \"mean_kbps\": %.2f, \"min_kbps\": %.2f, "
                "\"below_realtime\": %lu, \"bytes\": %lu, \"seconds\": %.2f}\n",
                o.connections, opened, static_cast<unsigned long>(receiving), static_cast<unsigned long>(connect_errors),
                static_cast<unsigned long>(refused), static_cast<unsigned long>(disconnects), static_cast<unsigned long>(stall_events),
                receiving ? sum_kbps / static_cast<double>(receiving) : 0.0, receiving ? min_kbps : 0.0,
                static_cast<unsigned long>(below), static_cast<unsigned long>(total_bytes),
                std::chrono::duration<double>(now - start).count());
    freeaddrinfo(res);
    ::close(ep);
    return 0;
}
