// events_load_client: N concurrent WebSocket subscribers of one feed URL from a single process
// (epoll, a minimal RFC 6455 client), for the events fan-out benchmark against Node's `ws` and us.
// Each connection upgrades, then counts the frames and bytes it receives (answering pings); at the
// end a JSON summary for the bench script. Raises RLIMIT_NOFILE itself.
//
//   events_load_client ws://127.0.0.1:8000/events/x -n 10000 -d 20 [--ramp 2000]
#include <netdb.h>
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


// One subscriber: the upgrade's answer, then a frame parser that only keeps what it must.
struct connection {
    int fd = -1;
    bool sent = false, upgraded = false, open = false;
    std::string head;
    unsigned char header[14];
    size_t header_have = 0, header_need = 2;
    uint64_t payload_left = 0;
    int opcode = 0;
    uint64_t messages = 0, bytes = 0;
    clock_type::time_point first_message;
    bool closed_by_server = false;
};

[[noreturn]] void usage(const char* why) {
    std::fprintf(stderr, "events_load_client: %s\nusage: events_load_client ws://HOST:PORT/PATH [-n N] [-d SECONDS] [--ramp PER_S]\n", why);
    std::exit(2);
}

bench::load_options parse(int argc, char** argv) {
    bench::load_options o;
    parse_load_options(argc, argv, "ws", o, [](const std::string&, const auto&) { return false; }, usage);
    return o;
}

// Feeds received bytes to the frame parser; false when the server closed the feed (a close frame).
bool consume(connection& c, const unsigned char* p, size_t n, clock_type::time_point now) {
    while (n > 0) {
        if (c.payload_left > 0) {
            const size_t take = static_cast<size_t>(std::min<uint64_t>(c.payload_left, n));
            c.payload_left -= take;
            c.bytes += take;
            p += take;
            n -= take;
            continue;
        }
        const size_t take = std::min(c.header_need - c.header_have, n);
        std::memcpy(c.header + c.header_have, p, take);
        c.header_have += take;
        p += take;
        n -= take;
        if (c.header_have < c.header_need) continue;
        const unsigned len7 = c.header[1] & 0x7F;
        const size_t need = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((c.header[1] & 0x80) ? 4 : 0);
        if (c.header_need < need) {
            c.header_need = need;
            continue;
        }
        uint64_t len = len7;
        if (len7 == 126) len = (uint64_t(c.header[2]) << 8) | c.header[3];
        if (len7 == 127) {
            len = 0;
            for (int i = 0; i < 8; ++i) len = (len << 8) | c.header[2 + i];
        }
        c.opcode = c.header[0] & 0x0F;
        if (c.opcode == 1 || c.opcode == 2) {
            if (c.messages++ == 0) c.first_message = now;
        } else if (c.opcode == 8) {
            c.closed_by_server = true;
            return false;
        } else if (c.opcode == 9 && len == 0) {
            static const unsigned char pong[] = {0x8A, 0x80, 0, 0, 0, 0};  // masked, empty
            ::send(c.fd, pong, sizeof pong, MSG_NOSIGNAL);
        }
        c.payload_left = len;
        c.bytes += c.header_need;
        c.header_have = 0;
        c.header_need = 2;
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    const auto o = parse(argc, argv);
    bench::raise_nofile(o.connections, "events_load_client");
    addrinfo hints{}, *res = nullptr;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(o.url.host.c_str(), o.url.port.c_str(), &hints, &res) != 0 || !res) usage("cannot resolve the host");
    const std::string request = "GET " + o.url.path + " HTTP/1.1\r\nHost: " + o.url.host + ":" + o.url.port +
                                "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    const int ep = epoll_create1(EPOLL_CLOEXEC);
    std::vector<connection> conns(static_cast<size_t>(o.connections));
    uint64_t connect_errors = 0, refused = 0, disconnects = 0, server_closes = 0;
    int opened = 0;
    const auto start = clock_type::now();
    const auto end = start + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(o.seconds));
    static unsigned char buf[1 << 16];
    std::vector<epoll_event> events(1024);

    auto close_conn = [&](connection& c) {
        if (!c.open) return;
        epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
        ::close(c.fd);
        c.open = false;
    };
    while (clock_type::now() < end) {
        const double elapsed = std::chrono::duration<double>(clock_type::now() - start).count();
        const int allowed = std::min(o.connections, static_cast<int>(elapsed * o.ramp_per_second) + 1);
        while (opened < allowed) {
            connection& c = conns[static_cast<size_t>(opened++)];
            c.fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (c.fd < 0 || (connect(c.fd, res->ai_addr, res->ai_addrlen) != 0 && errno != EINPROGRESS)) {
                if (c.fd >= 0) ::close(c.fd);
                ++connect_errors;
                continue;
            }
            c.open = true;
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
                    close_conn(c);
                    continue;
                }
                c.sent = true;
                epoll_event ev{};
                ev.events = EPOLLIN | EPOLLRDHUP;
                ev.data.u32 = static_cast<uint32_t>(&c - conns.data());
                epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
            }
            if (!(e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) continue;
            for (;;) {
                const ssize_t r = ::recv(c.fd, buf, sizeof buf, 0);
                if (r <= 0) {
                    if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
                        ++disconnects;
                        close_conn(c);
                    }
                    break;
                }
                const unsigned char* p = buf;
                size_t have = static_cast<size_t>(r);
                if (!c.upgraded) {
                    c.head.append(reinterpret_cast<const char*>(buf), have);
                    const size_t blank = c.head.find("\r\n\r\n");
                    if (blank == std::string::npos) {
                        if (c.head.size() > 16384) close_conn(c);
                        continue;
                    }
                    if (c.head.compare(0, 12, "HTTP/1.1 101") != 0) {
                        ++refused;
                        close_conn(c);
                        break;
                    }
                    c.upgraded = true;
                    const size_t body = c.head.size() - blank - 4;
                    p = buf + (have - body);
                    have = body;
                    c.head.clear();
                    c.head.shrink_to_fit();
                }
                if (!consume(c, p, have, now)) {
                    ++server_closes;
                    close_conn(c);
                    break;
                }
            }
        }
    }
    const auto now = clock_type::now();
    uint64_t upgraded = 0, receiving = 0, messages = 0, bytes = 0;
    double min_rate = 1e18, sum_rate = 0;
    for (auto& c : conns) {
        upgraded += c.upgraded;
        messages += c.messages;
        bytes += c.bytes;
        if (c.messages == 0) continue;
        const double s = std::chrono::duration<double>(now - c.first_message).count();
        if (s < 1) continue;
        ++receiving;
        const double rate = static_cast<double>(c.messages) / s;
        sum_rate += rate;
        min_rate = std::min(min_rate, rate);
    }
    for (auto& c : conns) close_conn(c);
    std::printf("{\"connections\": %d, \"opened\": %d, \"upgraded\": %lu, \"receiving\": %lu, \"connect_errors\": %lu, "
                "\"refused\": %lu, \"disconnects\": %lu, \"server_closes\": %lu, \"messages\": %lu, \"bytes\": %lu, "
                "\"mean_rate\": %.2f, \"min_rate\": %.2f, \"seconds\": %.2f}\n",
                o.connections, opened, static_cast<unsigned long>(upgraded), static_cast<unsigned long>(receiving),
                static_cast<unsigned long>(connect_errors), static_cast<unsigned long>(refused),
                static_cast<unsigned long>(disconnects), static_cast<unsigned long>(server_closes),
                static_cast<unsigned long>(messages), static_cast<unsigned long>(bytes),
                receiving ? sum_rate / static_cast<double>(receiving) : 0.0, receiving ? min_rate : 0.0,
                std::chrono::duration<double>(now - start).count());
    freeaddrinfo(res);
    ::close(ep);
    return 0;
}
