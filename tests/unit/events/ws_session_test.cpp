// WebSocket subscribers over real sockets: the server's own HTTP listener, router and session hand
// the upgrade to ws_session (takeover, as the events route does); a raw-socket client speaks RFC
// 6455 by hand. Checked: the 101 head and its accept key, the hello, a burst of published
// messages arriving as whole frames in order and counted as delivered (for one subscriber and for
// two dozen sharing wake-up shards, burst after burst), ping frames answered,
// each protocol violation closed with its code (1002, 1007, 1009), a client's close echoed, and
// the hub's restart closing with its news then 1012.
#include "server/events/ws_session.hpp"

#include <chrono>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "../test_support.hpp"
#include "server/events/ws_handshake.hpp"
#include "server/http/listener.hpp"

using namespace timeside;
using namespace timeside::server;
using namespace timeside::server::events;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using nlohmann::json;

namespace {

// The server's real HTTP stack on a free loopback port, with /events/{id} served by ws_session.
struct events_server {
    server_config config;
    http::router routes;
    http::connection_registry connections;
    metrics stats;
    http::session_context context{config, routes, connections, stats};
    asio::io_context ioc;
    asio::executor_work_guard<asio::io_context::executor_type> work{ioc.get_executor()};
    std::shared_ptr<http::listener> acceptor;
    std::vector<std::thread> threads;
    uint16_t port = 0;
    std::shared_ptr<event_hub> hub;

    explicit events_server(std::shared_ptr<event_hub> h) : hub(h) {
        config.listen = {"127.0.0.1", 0};
        config.access_log = false;
        routes.add({http::verb::get}, "/events/{id}", [this, hub = h](const http::request_context& ctx) -> http::reply {
            REQUIRE(boost::beast::websocket::is_upgrade(ctx.req));
            if (auto refused = ws::check_upgrade(ctx.req)) return http::error_reply(refused->status, refused->message);
            auto joined = hub->try_join();
            REQUIRE(joined.slot);
            return http::reply::take_over(
                [this, hub, place = std::move(joined.slot)](http::taken_connection&& c) mutable {
                    session_options o;
                    o.close_grace = std::chrono::milliseconds(2000);
                    std::make_shared<ws_session>(std::move(c), hub, std::move(place), subscription{}, connections, o)->start();
                },
                http::status::switching_protocols);
        });
        acceptor = std::make_shared<http::listener>(ioc, config.listen, context);
        acceptor->start();
        port = acceptor->local_endpoint().port();
        for (int i = 0; i < 2; ++i) threads.emplace_back([this] { ioc.run(); });
    }
    ~events_server() {
        hub->close("shutdown");  // as the station does before the server stops: parked subscribers are let go
        acceptor->stop();
        connections.close_all();
        work.reset();
        test::eventually([&] { return connections.count() == 0; }, std::chrono::seconds(5));
        ioc.stop();
        for (auto& t : threads) t.join();
    }
};

struct frame {
    int opcode = 0;
    std::string payload;
};

// A blocking RFC 6455 client on a raw socket (reads time out after 5 s).
struct ws_client {
    asio::io_context ioc;
    tcp::socket socket{ioc};
    std::string head, data;
    explicit ws_client(uint16_t port) {
        socket.connect({asio::ip::make_address("127.0.0.1"), port});
        timeval tv{5, 0};
        ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        send("GET /events/x HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
        while (head.find("\r\n\r\n") == std::string::npos && fill()) {
        }
        const size_t end = head.find("\r\n\r\n");
        REQUIRE(end != std::string::npos);
        data = head.substr(end + 4);
        head.resize(end + 4);
    }
    void send(const std::string& bytes) { asio::write(socket, asio::buffer(bytes)); }
    bool fill() {
        char buf[65536];
        boost::system::error_code ec;
        const size_t n = socket.read_some(asio::buffer(buf), ec);
        (head.find("\r\n\r\n") == std::string::npos ? head : data).append(buf, n);
        return !ec && n > 0;
    }
    // The next whole server frame; opcode -1 when the connection ended (or timed out) first.
    frame next() {
        for (int reads = 0; reads < 1000; ++reads) {
            if (data.size() >= 2) {
                const auto b1 = static_cast<unsigned char>(data[1]);
                REQUIRE((b1 & 0x80) == 0);  // a server's frames are unmasked
                size_t at = 2;
                uint64_t n = b1 & 0x7F;
                if (n == 126 && data.size() >= 4) n = (uint64_t{static_cast<unsigned char>(data[2])} << 8) | static_cast<unsigned char>(data[3]), at = 4;
                else if (n == 127 && data.size() >= 10) {
                    n = 0;
                    for (int k = 0; k < 8; ++k) n = (n << 8) | static_cast<unsigned char>(data[2 + k]);
                    at = 10;
                }
                if ((b1 & 0x7F) < 126 || at > 2) {
                    if (data.size() >= at + n) {
                        frame f{static_cast<unsigned char>(data[0]) & 0x0F, data.substr(at, n)};
                        REQUIRE((static_cast<unsigned char>(data[0]) & 0x80) != 0);  // final
                        data.erase(0, at + n);
                        return f;
                    }
                }
            }
            if (!fill()) return {-1, {}};
        }
        return {-1, {}};
    }
    // The next frame that is not a feed message (text frames of type analysis/news are skipped).
    frame next_reply() {
        for (int i = 0; i < 1000; ++i) {
            frame f = next();
            if (f.opcode != 1) return f;
            const auto type = json::parse(f.payload)["type"];
            if (type != "news" && type != "analysis") return f;
        }
        return {-1, {}};
    }
    bool closed_by_server() {
        for (int i = 0; i < 100; ++i)
            if (!fill()) return true;
        return false;
    }
};

std::string masked(int first_byte, const std::string& payload, bool mask = true) {
    const unsigned char key[4] = {0x12, 0x34, 0x56, 0x78};
    std::string f(1, static_cast<char>(first_byte));
    if (payload.size() < 126) {
        f.push_back(static_cast<char>((mask ? 0x80 : 0) | payload.size()));
    } else {
        f.push_back(static_cast<char>((mask ? 0x80 : 0) | 127));
        for (int shift = 56; shift >= 0; shift -= 8) f.push_back(static_cast<char>((payload.size() >> shift) & 0xFF));
    }
    if (mask) f.append(reinterpret_cast<const char*>(key), 4);
    for (size_t i = 0; i < payload.size(); ++i) f.push_back(static_cast<char>(payload[i] ^ (mask ? key[i % 4] : 0)));
    return f;
}

uint16_t close_code_of(const frame& f) {
    REQUIRE(f.opcode == 8);
    REQUIRE(f.payload.size() >= 2);
    return static_cast<uint16_t>((static_cast<unsigned char>(f.payload[0]) << 8) | static_cast<unsigned char>(f.payload[1]));
}

std::shared_ptr<event_hub> make_hub() {
    event_hub_settings s;
    s.mount_id = "x";
    return std::make_shared<event_hub>(s);
}

}  // namespace

TEST_CASE("a subscriber gets the 101, its hello, then every published message as a whole frame, in order",
          "[events][ws]") {
    auto hub = make_hub();
    events_server server(hub);
    ws_client c(server.port);
    CHECK(c.head.rfind("HTTP/1.1 101 Switching Protocols\r\n", 0) == 0);
    CHECK(c.head.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") != std::string::npos);
    const frame hello = c.next();
    REQUIRE(hello.opcode == 1);
    CHECK(json::parse(hello.payload)["type"] == "hello");
    // A burst (as one analysis block gives): each message arrives, whole and in order, and is counted.
    constexpr int burst = 50;
    for (int i = 0; i < burst; ++i) hub->publish(news{"title", i, 44100, "title " + std::to_string(i), -1});
    for (int i = 0; i < burst; ++i) {
        const frame f = c.next();
        REQUIRE(f.opcode == 1);
        const json j = json::parse(f.payload);
        CHECK(j["news"] == "title");
        CHECK(j["title"] == "title " + std::to_string(i));
    }
    // The count and the latency histogram are added one after the other by the shard: wait for both.
    auto histogram = [&] {
        uint64_t n = 0;
        for (auto b : hub->counters().latency) n += b;
        return n;
    };
    CHECK(test::eventually([&] { return hub->counters().delivered == burst && histogram() == burst; },
                           std::chrono::seconds(5)));
    CHECK(hub->counters().delivered == burst);
    CHECK(histogram() == burst);
}

TEST_CASE("ping frames are answered with the same payload; JSON pings with a pong message", "[events][ws]") {
    auto hub = make_hub();
    events_server server(hub);
    ws_client c(server.port);
    REQUIRE(json::parse(c.next().payload)["type"] == "hello");
    c.send(masked(0x89, "are you there"));
    const frame pong = c.next_reply();
    CHECK(pong.opcode == 10);
    CHECK(pong.payload == "are you there");
    // A JSON ping in two fragments, a ping frame between them.
    c.send(masked(0x01, R"({"type": "pi)") + masked(0x89, "mid") + masked(0x80, R"(ng", "id": 7})"));
    const frame mid = c.next_reply();
    CHECK(mid.opcode == 10);
    CHECK(mid.payload == "mid");
    const frame reply = c.next_reply();
    REQUIRE(reply.opcode == 1);
    const json j = json::parse(reply.payload);
    CHECK(j["type"] == "pong");
    CHECK(j["id"] == 7);
}

TEST_CASE("protocol violations close with 1002, 1007 and 1009; a client's close is echoed", "[events][ws]") {
    auto hub = make_hub();
    events_server server(hub);
    struct bad_case {
        std::string name, bytes;
        uint16_t code;
    };
    const std::vector<bad_case> cases = {
        {"unmasked", masked(0x81, R"({"type": "ping"})", false), 1002},
        {"unknown opcode", masked(0x85, "x"), 1002},
        {"text not UTF-8", masked(0x81, "\xff\xfe"), 1007},
        {"over 64 KiB", masked(0x81, std::string(64 * 1024 + 1, ' ')), 1009},
        {"client close", masked(0x88, std::string("\x03\xe8", 2)), 1000},
    };
    for (const auto& bad : cases) {
        INFO(bad.name);
        ws_client c(server.port);
        REQUIRE(json::parse(c.next().payload)["type"] == "hello");
        c.send(bad.bytes);
        const frame f = c.next_reply();
        CHECK(close_code_of(f) == bad.code);
        if (bad.code == 1002) CHECK(f.payload.size() > 2);  // with a reason
        // Its close answered, the server ends the connection.
        c.send(masked(0x88, f.payload.substr(0, 2)));
        CHECK(c.closed_by_server());
    }
}

TEST_CASE("a mount's restart writes the closing news, then closes with 1012", "[events][ws]") {
    auto hub = make_hub();
    events_server server(hub);
    ws_client c(server.port);
    REQUIRE(json::parse(c.next().payload)["type"] == "hello");
    hub->close("restarted");
    const frame news = c.next();
    REQUIRE(news.opcode == 1);
    const json j = json::parse(news.payload);
    CHECK(j["news"] == "closing");
    CHECK(j["reason"] == "restarted");
    CHECK(close_code_of(c.next()) == 1012);
}

TEST_CASE("subscribers parked in shared shards are all woken: each gets every message of a burst, in order",
          "[events][ws]") {
    auto hub = make_hub();
    events_server server(hub);
    constexpr int subscribers = 24, burst = 30;
    std::vector<std::unique_ptr<ws_client>> clients;
    for (int i = 0; i < subscribers; ++i) {
        clients.push_back(std::make_unique<ws_client>(server.port));
        REQUIRE(json::parse(clients.back()->next().payload)["type"] == "hello");
    }
    // Two bursts apart in time: the second finds every subscriber parked again.
    for (int round = 0; round < 2; ++round) {
        for (int i = 0; i < burst; ++i) hub->publish(news{"title", i, 44100, fmt::format("{}.{}", round, i), -1});
        for (auto& c : clients)
            for (int i = 0; i < burst; ++i) {
                const frame f = c->next();
                REQUIRE(f.opcode == 1);
                CHECK(json::parse(f.payload)["title"] == fmt::format("{}.{}", round, i));
            }
    }
    CHECK(test::eventually([&] { return hub->counters().delivered == uint64_t{2} * subscribers * burst; },
                           std::chrono::seconds(5)));
    CHECK(hub->counters().subscribers == subscribers);
}
