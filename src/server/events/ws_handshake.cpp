// The accept key is Beast's own computation (the one its websocket::stream answers with); the
// head is written by hand because the session owns its socket from the takeover on.
#include "server/events/ws_handshake.hpp"

#include <boost/beast/websocket/detail/hybi13.hpp>
#include <fmt/format.h>

namespace timeside::server::events::ws {

std::optional<handshake_refusal> check_upgrade(const http::request& req) {
    const auto version = req[http::bhttp::field::sec_websocket_version];
    if (version != "13")
        return handshake_refusal{http::status::upgrade_required,
                                 fmt::format("Sec-WebSocket-Version: this server speaks version 13 (RFC 6455), the request "
                                             "asked for '{}'",
                                             std::string_view(version.data(), version.size()))};
    const auto key = req[http::bhttp::field::sec_websocket_key];
    // 16 random bytes in base64: 24 characters (RFC 6455 section 4.1).
    if (key.size() != 24)
        return handshake_refusal{http::status::bad_request,
                                 fmt::format("Sec-WebSocket-Key: expected 16 bytes in base64 (24 characters), got '{}'",
                                             std::string_view(key.data(), key.size()))};
    return std::nullopt;
}

std::string accept_key(std::string_view key) {
    namespace detail = boost::beast::websocket::detail;
    detail::sec_ws_accept_type accept;
    detail::make_sec_ws_accept(accept, key.substr(0, detail::sec_ws_key_type::max_size_n));
    return std::string(accept.data(), accept.size());
}

std::string handshake_response(std::string_view key) {
    return fmt::format("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Accept: {}\r\nServer: TimeSide {}\r\n\r\n",
                       accept_key(key), TIMESIDE_VERSION);
}

}  // namespace timeside::server::events::ws
