// The server's side of the WebSocket opening handshake (RFC 6455 section 4.2) for the events feed:
// the route checks the upgrade request's fields before it takes the connection over (answering
// 400 or 426 itself), and the session writes the 101 head as the first bytes of its first write.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "server/http/reply.hpp"

namespace timeside::server::events::ws {

// Why an upgrade request (beast::websocket::is_upgrade() true) cannot be accepted: a missing or
// malformed Sec-WebSocket-Key (400) or a Sec-WebSocket-Version other than 13 (426, and the answer
// says `Sec-WebSocket-Version: 13`); nothing when it can.
struct handshake_refusal {
    http::status status;
    std::string message;
};
std::optional<handshake_refusal> check_upgrade(const http::request& req);

// Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key + the RFC's GUID)).
std::string accept_key(std::string_view key);
// The whole 101 head for that key (no subprotocol, no extension: none is negotiated).
std::string handshake_response(std::string_view key);

}  // namespace timeside::server::events::ws
