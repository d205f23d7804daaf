// A WebSocket subscriber of /events/{id}: the connection taken over from the HTTP session (as
// Beast's advanced server hands an http_session's stream to a websocket_session), accepted with
// the upgrade request the HTTP parser read. It writes the hello, then the feed as text frames, one
// write in flight, and reads the client's `subscribe` and `ping` messages (64 KiB at most: 1009).
// Beast's own timeouts send a ping after `ping` seconds of silence and drop a peer silent twice
// as long; a subscriber the hub finds too far behind is closed with 1008.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "server/events/feed_cursor.hpp"
#include "server/http/connections.hpp"
#include "server/http/reply.hpp"

namespace timeside::server::events {

inline constexpr size_t max_client_message = 64 * 1024;
// The kernel's send buffer of a subscriber's socket: small, so that a peer that stops reading
// shows as lag in the hub within seconds (the kernel would hide minutes of a feed otherwise).
inline constexpr int subscriber_send_buffer = 32 * 1024;

struct session_options {
    std::chrono::milliseconds ping{30000};  // a ping after this long without a word from the peer
    std::chrono::milliseconds close_grace{5000};  // a close handshake that does not finish is cut
};

class ws_session : public feed_reader, public http::connection, public std::enable_shared_from_this<ws_session> {
public:
    // `sub`: the subscription the request's query gave (all analyzers at the default rate without one).
    ws_session(http::taken_connection&& taken, std::shared_ptr<event_hub> hub, std::shared_ptr<event_hub::place> place,
               subscription sub, http::connection_registry& connections, session_options options);
    ~ws_session() override;

    void start();

    void on_messages() override;
    void on_behind() override;
    void on_rate_lowered(int rate) override;
    void on_hub_closed(message_ptr closing) override;
    void on_listener_start(const listener_start& start) override;
    void drain() override;
    void close() override;

private:
    void on_accept(boost::system::error_code ec);
    void do_read();
    void on_read(boost::system::error_code ec, size_t bytes);
    void on_client_message(std::string_view text);
    void do_write();
    void on_write(boost::system::error_code ec, size_t bytes);
    void do_close(boost::beast::websocket::close_code code, const std::string& reason, const char* why);
    void finish(const char* why);

    boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
    std::unique_ptr<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
    boost::beast::flat_buffer read_buffer_;
    boost::asio::steady_timer close_timer_;
    feed_cursor cursor_;
    http::connection_registry& connections_;
    session_options options_;
    uint64_t registration_ = 0;
    std::string peer_;
    outgoing in_flight_;
    std::chrono::steady_clock::time_point started_;
    uint64_t written_ = 0;
    bool accepted_ = false;
    bool writing_ = false;
    bool closing_ = false;  // a close is under way: nothing more is written
    bool done_ = false;     // the connection is over
    std::string why_ = "client_gone";
};

}  // namespace timeside::server::events
