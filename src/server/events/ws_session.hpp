// A WebSocket subscriber of /events/{id}: the connection taken over from the HTTP session, its
// socket moved onto a wake-up shard of the hub (ws_shard.hpp), spoken to with the feed's own RFC
// 6455 framing (ws_frame.hpp). Its first write carries the 101 head and the hello; then, at each
// wake-up, everything that arrived goes out in one gathered, non-blocking write of the frames the
// hub made once (a write the socket does not take at once finishes asynchronously, and nothing
// more is taken meanwhile: that shows as lag in the hub). It reads the client's `subscribe` and
// `ping` messages (64 KiB at most: 1009; a protocol error: 1002; text not UTF-8: 1007), answers
// the client's pings, pings after `ping` seconds of silence and drops a peer silent twice as
// long; a subscriber the hub finds too far behind is closed with 1008.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "server/events/feed_cursor.hpp"
#include "server/events/ws_frame.hpp"
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

class ws_shard;
struct ws_batch;

class ws_session : public feed_reader, public http::connection, public std::enable_shared_from_this<ws_session> {
public:
    // `taken.parser` holds the upgrade request, checked by the route (ws::check_upgrade).
    // `sub`: the subscription the request's query gave (all analyzers at the default rate without one).
    ws_session(http::taken_connection&& taken, std::shared_ptr<event_hub> hub, std::shared_ptr<event_hub::place> place,
               subscription sub, http::connection_registry& connections, session_options options);
    ~ws_session() override;

    void start();

    // From its shard, on the shard's strand: a wake-up (write what arrived, or park again), the
    // keep-alive pass, and its place in the shard's list.
    void resume() {
        parked_ = false;
        do_write();
    }
    void keep_alive(std::chrono::steady_clock::time_point now);
    void moved_to(size_t slot) { slot_ = slot; }

    void on_messages() override;
    void on_behind() override;
    void on_rate_changed(int rate, bool raised) override;
    void on_hub_closed(message_ptr closing) override;
    void on_listener_start(const listener_start& start) override;
    void drain() override;
    void close() override;

private:
    template <class F>
    void post(F&& f);
    void do_write();
    bool gather(ws_batch& b);  // false: nothing to write
    void written(ws_batch& b, std::chrono::steady_clock::time_point when);
    void on_write(boost::system::error_code ec, size_t bytes);
    void do_read_wait();
    void on_readable(boost::system::error_code ec);
    void on_bytes(std::string_view data);
    void on_frame(ws::frame_event& ev);
    void on_client_message(std::string_view text);
    void do_close(ws::close_code code, const std::string& reason, const char* why);
    void finish(const char* why);

    std::shared_ptr<ws_shard> shard_;
    boost::asio::ip::tcp::socket socket_;
    feed_cursor cursor_;
    http::connection_registry& connections_;
    session_options options_;
    ws::frame_parser parser_{max_client_message};
    std::string handshake_;  // the 101 head, until written
    std::string leftover_;   // bytes the HTTP session read past the request: the first frames
    std::string control_;    // control frames to write next (pongs, a ping)
    std::string close_;      // the close frame, until written
    std::unique_ptr<ws_batch> pending_;  // the write in flight, if the socket was full
    uint64_t registration_ = 0;
    std::string peer_;
    std::chrono::steady_clock::time_point started_, heard_, close_deadline_;
    uint64_t written_ = 0;
    size_t slot_ = static_cast<size_t>(-1);
    bool joined_ = false;
    bool parked_ = false;  // in its shard's list of those to resume (once: it also writes between wake-ups)
    bool pinged_ = false;
    bool closing_ = false;        // a close is under way: no more of the feed is written
    bool close_sent_ = false;
    bool close_received_ = false;
    bool done_ = false;           // the connection is over
    bool in_write_ = false;       // do_write is on the stack (a close it queues is gathered there)
    std::string why_ = "client_gone";
};

}  // namespace timeside::server::events
