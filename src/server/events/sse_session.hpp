// A Server-Sent Events subscriber of /events/{id} (`Accept: text/event-stream`): the connection
// taken over from the HTTP session. It writes the head and `retry:`, the hello, then every feed
// message as `id: <seq>` + `data: <json>`, one write in flight, and a `: keep-alive` comment when
// nothing was written for a while. A reconnect's `Last-Event-ID` resumes from the hub's ring.
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "server/events/feed_cursor.hpp"
#include "server/events/ws_session.hpp"
#include "server/http/connections.hpp"
#include "server/http/reply.hpp"

namespace timeside::server::events {

inline constexpr int sse_retry_ms = 2000;
inline constexpr std::chrono::seconds sse_keep_alive{15};

class sse_session : public feed_reader, public http::connection, public std::enable_shared_from_this<sse_session> {
public:
    sse_session(http::taken_connection&& taken, std::shared_ptr<event_hub> hub, std::shared_ptr<event_hub::place> place,
                subscription sub, std::optional<uint64_t> last_event_id, http::connection_registry& connections);
    ~sse_session() override;

    void start();

    void on_messages() override;
    void on_behind() override;
    void on_rate_changed(int rate, bool raised) override;
    void on_hub_closed(message_ptr closing) override;
    void on_listener_start(const listener_start& start) override;
    void drain() override;
    void close() override;

private:
    void do_read();
    void do_write();
    void on_write(boost::system::error_code ec, size_t bytes);
    void arm_keep_alive();
    void finish(const char* why);

    boost::beast::tcp_stream stream_;
    boost::asio::steady_timer keep_alive_;
    feed_cursor cursor_;
    std::optional<uint64_t> last_event_id_;
    http::connection_registry& connections_;
    uint64_t registration_ = 0;
    std::string peer_;
    std::array<char, 512> read_buffer_{};
    outgoing in_flight_;
    std::string prefix_;  // a private message's `id:`/`data:` lines
    std::vector<boost::asio::const_buffer> buffers_;
    std::chrono::steady_clock::time_point started_, last_write_;
    uint64_t written_ = 0;
    bool head_sent_ = false;
    bool hello_sent_ = false;
    bool keep_alive_due_ = false;
    bool writing_ = false;
    bool done_ = false;
};

}  // namespace timeside::server::events
