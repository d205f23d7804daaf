// The feed's own RFC 6455 framing against the RFC's examples (section 5.7, the handshake's key in
// 1.3): server frame heads byte for byte, the client frame parser on masked, fragmented and
// extended-length frames fed whole and byte by byte, and each violation's close code.
#include "server/events/ws_frame.hpp"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "server/events/message.hpp"
#include "server/events/ws_handshake.hpp"

using namespace timeside::server::events;
using namespace timeside::server::events::ws;
using kind = frame_event::kind;

namespace {
std::string bytes(std::initializer_list<int> b) {
    std::string s;
    for (int c : b) s.push_back(static_cast<char>(c));
    return s;
}

// A client frame: masked with `mask` unless `masked` is false; the length in its shortest form
// unless `len7` forces 126 or 127.
std::string client_frame(int first_byte, const std::string& payload, bool masked = true, int len7 = -1) {
    const unsigned char mask[4] = {0x37, 0xfa, 0x21, 0x3d};
    std::string f(1, static_cast<char>(first_byte));
    const uint64_t n = payload.size();
    const int l = len7 >= 0 ? len7 : n < 126 ? static_cast<int>(n) : n <= 0xFFFF ? 126 : 127;
    f.push_back(static_cast<char>((masked ? 0x80 : 0) | l));
    if (l == 126) f += bytes({static_cast<int>(n >> 8), static_cast<int>(n & 0xFF)});
    if (l == 127)
        for (int shift = 56; shift >= 0; shift -= 8) f.push_back(static_cast<char>((n >> shift) & 0xFF));
    if (masked) f.append(reinterpret_cast<const char*>(mask), 4);
    for (size_t i = 0; i < payload.size(); ++i) f.push_back(static_cast<char>(payload[i] ^ (masked ? mask[i % 4] : 0)));
    return f;
}

// Every event parsing `in` gives, fed in pieces of `step` bytes.
std::vector<frame_event> parse_all(frame_parser& p, const std::string& in, size_t step) {
    std::vector<frame_event> events;
    for (size_t at = 0; at < in.size(); at += step) {
        std::string_view piece = std::string_view(in).substr(at, step);
        while (!piece.empty()) {
            frame_event ev;
            piece.remove_prefix(p.parse(piece, ev));
            if (ev.what != kind::none) events.push_back(std::move(ev));
        }
    }
    return events;
}
}  // namespace

TEST_CASE("server frame heads are the RFC's examples byte for byte", "[events][ws]") {
    CHECK(frame_head(opcode::text, 5) + "Hello" == bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
    CHECK(frame_head(opcode::binary, 256) == bytes({0x82, 0x7E, 0x01, 0x00}));
    CHECK(frame_head(opcode::binary, 65536) == bytes({0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00}));
    CHECK(frame_head(opcode::text, 125) == bytes({0x81, 125}));
    CHECK(frame_head(opcode::text, 126) == bytes({0x81, 126, 0, 126}));
    CHECK(control_frame(opcode::ping, "Hello") == bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
    CHECK(close_frame(close_code::policy_error, "slow") == bytes({0x88, 6, 0x03, 0xF0, 's', 'l', 'o', 'w'}));
    // A reason is cut to the 123 bytes a control frame leaves, never inside a character.
    const std::string long_reason = std::string(122, 'a') + "\xc3\xa9";  // 124 bytes, 'é' straddling 123
    const std::string f = close_frame(close_code::going_away, long_reason);
    CHECK(f.size() == 2 + 2 + 122);
    CHECK(valid_utf8(f.substr(4)));
}

TEST_CASE("a feed message's frame head is made once, with the message", "[events][ws]") {
    timeside::analysis_event e{"aubio_temporal.onset", 88200, 44100, 0, {}, 1};
    auto m = make_event_message(3, e, std::chrono::steady_clock::now());
    CHECK(m->ws_head == frame_head(opcode::text, m->json.size()));
    interval_values v{"spectrum", 44100, 0, 2205, 4, std::vector<double>(300, 1.0), {}, {}};
    auto c = make_column_message(4, 20, v, 1.0, std::chrono::steady_clock::now());
    CHECK(c->ws_head == frame_head(opcode::binary, c->json.size()));
    CHECK(static_cast<unsigned char>(c->ws_head[1]) == 126);  // over 125 bytes: the 16-bit length
}

TEST_CASE("the RFC's masked 'Hello' is a text message, whole or byte by byte", "[events][ws]") {
    const std::string hello = bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
    for (size_t step : {hello.size(), size_t{1}, size_t{3}}) {
        frame_parser p(64 * 1024);
        auto events = parse_all(p, hello + hello, step);
        REQUIRE(events.size() == 2);
        for (const auto& ev : events) {
            CHECK(ev.what == kind::message);
            CHECK_FALSE(ev.binary);
            CHECK(ev.payload == "Hello");
        }
    }
    // The RFC's masked pong of "Hello" is a pong.
    frame_parser p(64 * 1024);
    auto pong = parse_all(p, bytes({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}), 64);
    REQUIRE(pong.size() == 1);
    CHECK(pong[0].what == kind::pong);
    CHECK(pong[0].payload == "Hello");
}

TEST_CASE("a fragmented message is joined, with a ping between its fragments answered first", "[events][ws]") {
    const std::string in = client_frame(0x01, "Hel") + client_frame(0x89, "are you there") + client_frame(0x00, "l") +
                           client_frame(0x80, "o");
    for (size_t step : {in.size(), size_t{1}}) {
        frame_parser p(64 * 1024);
        auto events = parse_all(p, in, step);
        REQUIRE(events.size() == 2);
        CHECK(events[0].what == kind::ping);
        CHECK(events[0].payload == "are you there");
        CHECK(events[1].what == kind::message);
        CHECK(events[1].payload == "Hello");
    }
}

TEST_CASE("16- and 64-bit lengths are read; the shortest encoding is required", "[events][ws]") {
    const std::string medium(300, 'm'), large(70000, 'l');
    frame_parser p(128 * 1024);
    auto events = parse_all(p, client_frame(0x81, medium) + client_frame(0x82, large), 4096);
    REQUIRE(events.size() == 2);
    CHECK(events[0].payload == medium);
    CHECK(events[1].binary);
    CHECK(events[1].payload == large);

    frame_parser q(64 * 1024);
    auto bad = parse_all(q, client_frame(0x81, "short", true, 126), 64);
    REQUIRE_FALSE(bad.empty());
    CHECK(bad[0].what == kind::failed);
    CHECK(bad[0].code == 1002);
}

TEST_CASE("each violation fails with its close code and a reason", "[events][ws]") {
    struct bad_case {
        std::string name, in;
        uint16_t code;
        std::string reason_has;
    };
    const std::vector<bad_case> cases = {
        {"unmasked client frame", client_frame(0x81, "Hello", false), 1002, "masked"},
        {"unknown opcode", client_frame(0x83, "x"), 1002, "opcode 3"},
        {"reserved bit", client_frame(0xC1, "x"), 1002, "reserved"},
        {"continuation first", client_frame(0x80, "x"), 1002, "continuation"},
        {"new message mid-fragments", client_frame(0x01, "a") + client_frame(0x81, "b"), 1002, "previous"},
        {"fragmented ping", client_frame(0x09, "x"), 1002, "fragmented"},
        {"ping over 125 bytes", client_frame(0x89, std::string(126, 'p')), 1002, "125"},
        {"oversize message", client_frame(0x81, std::string(64 * 1024 + 1, 'x')), 1009, "65536"},
        {"oversize in fragments", client_frame(0x01, std::string(40000, 'x')) + client_frame(0x80, std::string(30000, 'x')), 1009, "65536"},
        {"text not UTF-8", client_frame(0x81, "caf\xc3"), 1007, "UTF-8"},
        {"text not UTF-8 across fragments", client_frame(0x01, "\xe2\x82") + client_frame(0x80, "x"), 1007, "UTF-8"},
        {"1-byte close", client_frame(0x88, "\x03"), 1002, "1-byte"},
        {"close code 1005 sent", client_frame(0x88, bytes({0x03, 0xED})), 1002, "1005"},
        {"close reason not UTF-8", client_frame(0x88, bytes({0x03, 0xE8, 0xff})), 1007, "UTF-8"},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        frame_parser p(64 * 1024);
        auto events = parse_all(p, c.in, c.in.size());
        REQUIRE(events.size() == 1);
        CHECK(events[0].what == kind::failed);
        CHECK(events[0].code == c.code);
        CHECK(events[0].reason.find(c.reason_has) != std::string::npos);
    }
    // An oversize message fails at its head, before its payload arrives.
    frame_parser p(64 * 1024);
    const std::string big = client_frame(0x81, std::string(70 * 1024, 'x'));
    frame_event ev;
    CHECK(p.parse(std::string_view(big).substr(0, 14), ev) == 14);
    CHECK(ev.what == kind::failed);
    CHECK(ev.code == 1009);
}

TEST_CASE("a binary message need not be UTF-8; a close carries its code and reason", "[events][ws]") {
    frame_parser p(64 * 1024);
    auto events = parse_all(p, client_frame(0x82, "caf\xc3") + client_frame(0x88, bytes({0x03, 0xE8, 'b', 'y', 'e'})) +
                                   client_frame(0x88, ""),
                            1);
    REQUIRE(events.size() == 3);
    CHECK(events[0].what == kind::message);
    CHECK(events[0].binary);
    CHECK(events[1].what == kind::close);
    CHECK(events[1].code == 1000);
    CHECK(events[1].reason == "bye");
    CHECK(events[2].code == 1005);  // no code in it
}

TEST_CASE("closing, data frames are skipped uncapped and the peer's close still read", "[events][ws]") {
    frame_parser p(64 * 1024);
    p.discard_data();
    auto events = parse_all(p, client_frame(0x81, std::string(100000, 'x')) + client_frame(0x88, bytes({0x03, 0xE8})), 1000);
    REQUIRE(events.size() == 1);
    CHECK(events[0].what == kind::close);
    CHECK(events[0].code == 1000);
}

TEST_CASE("UTF-8 validation rejects overlongs, surrogates, truncation and code points past U+10FFFF", "[events][ws]") {
    CHECK(valid_utf8("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"));  // κόσμε
    CHECK(valid_utf8("\xe2\x82\xac \xf0\x9f\x8e\xb5 \xf4\x8f\xbf\xbf"));  // €, 🎵, U+10FFFF
    CHECK_FALSE(valid_utf8("\xc0\xaf"));          // overlong '/'
    CHECK_FALSE(valid_utf8("\xe0\x80\xaf"));      // overlong, 3 bytes
    CHECK_FALSE(valid_utf8("\xed\xa0\x80"));      // U+D800, a surrogate
    CHECK_FALSE(valid_utf8("\xf4\x90\x80\x80"));  // U+110000
    CHECK_FALSE(valid_utf8("\xe2\x82"));          // truncated
    CHECK_FALSE(valid_utf8("\x80"));              // a lone continuation byte
    CHECK_FALSE(valid_utf8("\xff"));
}

TEST_CASE("the handshake answers the RFC's key with the RFC's accept and checks the version", "[events][ws]") {
    CHECK(accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    const std::string head = handshake_response("dGhlIHNhbXBsZSBub25jZQ==");
    CHECK(head.rfind("HTTP/1.1 101 Switching Protocols\r\n", 0) == 0);
    CHECK(head.find("\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") != std::string::npos);
    CHECK(head.substr(head.size() - 4) == "\r\n\r\n");

    timeside::server::http::request req{timeside::server::http::bhttp::verb::get, "/events/x", 11};
    req.set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
    req.set("Sec-WebSocket-Version", "13");
    CHECK_FALSE(check_upgrade(req).has_value());
    req.set("Sec-WebSocket-Version", "8");
    auto old = check_upgrade(req);
    REQUIRE(old.has_value());
    CHECK(old->status == timeside::server::http::status::upgrade_required);
    req.set("Sec-WebSocket-Version", "13");
    req.erase("Sec-WebSocket-Key");
    auto keyless = check_upgrade(req);
    REQUIRE(keyless.has_value());
    CHECK(keyless->status == timeside::server::http::status::bad_request);
    CHECK(keyless->message.find("Sec-WebSocket-Key") != std::string::npos);
}
