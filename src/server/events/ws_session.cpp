// The session's handlers all run on the connection's strand (the HTTP session's, taken over);
// the hub's calls come from other threads and are posted there.
#include "server/events/ws_session.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>
#include <fmt/format.h>

#include "server/log.hpp"

namespace timeside::server::events {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

ws_session::ws_session(http::taken_connection&& taken, std::shared_ptr<event_hub> hub,
                       std::shared_ptr<event_hub::place> place, subscription sub,
                       http::connection_registry& connections, session_options options)
    : ws_(std::move(taken.stream)),
      parser_(std::move(taken.parser)),
      close_timer_(ws_.get_executor()),
      cursor_(std::move(hub), std::move(place), std::move(sub)),
      connections_(connections),
      options_(options),
      peer_(std::move(taken.peer)),
      started_(std::chrono::steady_clock::now()) {}

ws_session::~ws_session() {
    if (registration_) connections_.remove(registration_);
}

void ws_session::start() {
    size_t open = 0;
    registration_ = connections_.add(weak_from_this(), open);
    // Beast's websocket timeouts replace the TCP stream's (its own timer would cut a quiet feed).
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout t;
    t.handshake_timeout = options_.close_grace;
    t.idle_timeout = options_.ping * 2;  // Beast pings at half of it
    t.keep_alive_pings = true;
    ws_.set_option(t);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(beast::http::field::server, "TimeSide " TIMESIDE_VERSION); }));
    ws_.read_message_max(max_client_message);
    ws_.auto_fragment(false);
    asio::dispatch(ws_.get_executor(), [self = shared_from_this()] {
        if (self->connections_.draining()) return self->finish("drained");
        boost::system::error_code ec;
        auto& socket = beast::get_lowest_layer(self->ws_).socket();
        socket.set_option(asio::socket_base::send_buffer_size(subscriber_send_buffer), ec);
        socket.set_option(asio::ip::tcp::no_delay(true), ec);
        self->ws_.async_accept(self->parser_->get(), beast::bind_front_handler(&ws_session::on_accept, self));
    });
}

void ws_session::on_accept(boost::system::error_code ec) {
    parser_.reset();
    if (ec) return finish("handshake_failed");
    accepted_ = true;
    cursor_.attach(shared_from_this());
    do_read();
    do_write();
}

void ws_session::do_read() {
    ws_.async_read(read_buffer_, beast::bind_front_handler(&ws_session::on_read, shared_from_this()));
}

void ws_session::on_read(boost::system::error_code ec, size_t) {
    if (ec) {
        // message_too_big: Beast has sent the close frame (1009) itself; closed: the peer closed.
        if (ec == websocket::error::message_too_big) why_ = "message_too_big";
        else if (ec == websocket::error::closed) why_ = closing_ ? why_ : "client_closed";
        else if (ec == beast::error::timeout) why_ = "no_pong";
        return finish(why_.c_str());
    }
    const std::string text = beast::buffers_to_string(read_buffer_.data());
    read_buffer_.consume(read_buffer_.size());
    if (!closing_) on_client_message(text);
    do_read();
}

void ws_session::on_client_message(std::string_view text) {
    static const catalog empty;
    const auto c = cursor_.hub().get_catalog();
    auto m = parse_client_message(text, c ? *c : empty);
    bool queued = true;
    switch (m.type) {
        case client_message::kind::subscribe: cursor_.resubscribe(shared_from_this(), std::move(m.sub)); break;
        case client_message::kind::ping:
            queued = cursor_.push_private(pong_json(m.ping_id ? &*m.ping_id : nullptr, cursor_.hub().stream_frame(),
                                                    cursor_.hub().settings().samplerate));
            break;
        case client_message::kind::invalid: queued = cursor_.push_private(error_json(m.error, m.field, m.text)); break;
    }
    if (!queued) return do_close(websocket::close_code::policy_error,
                                 "too many replies unread", "replies_unread");
    do_write();
}

void ws_session::do_write() {
    if (!accepted_ || writing_ || closing_ || done_) return;
    switch (cursor_.next(in_flight_, shared_from_this(), *this)) {
        case feed_cursor::next_result::item:
            writing_ = true;
            ws_.binary(in_flight_.shared && in_flight_.shared->binary);
            ws_.async_write(asio::buffer(in_flight_.json()), beast::bind_front_handler(&ws_session::on_write, shared_from_this()));
            return;
        case feed_cursor::next_result::idle: return;
        case feed_cursor::next_result::lost:
            cursor_.hub().count_slow();
            return do_close(websocket::close_code::policy_error, "too slow: fell behind the feed", "slow");
        case feed_cursor::next_result::closed:
            return do_close(websocket::close_code::going_away, "mount closed", "mount_closed");
    }
}

void ws_session::on_write(boost::system::error_code ec, size_t) {
    writing_ = false;
    if (ec) return finish("client_gone");
    ++written_;
    cursor_.written(in_flight_, *this);
    if (const std::string closing = in_flight_.closing(); !closing.empty()) {
        // 1012 (service restart): come back, the mount runs again; 1001: it is gone, or the server;
        // 1000: a finite feed (an item's analysis) said all it had (its `end`).
        in_flight_ = {};
        if (closing == "end") return do_close(websocket::close_code::normal, "end of the feed", "feed_end");
        const bool restart = closing == "restarted";
        return do_close(restart ? websocket::close_code::service_restart : websocket::close_code::going_away,
                        restart ? "mount restarted" : "mount stopped", "mount_closed");
    }
    in_flight_ = {};
    do_write();
}

void ws_session::do_close(websocket::close_code code, const std::string& reason, const char* why) {
    if (closing_ || done_) return;
    closing_ = true;
    why_ = why;
    cursor_.detach(this);
    if (!accepted_) return finish(why);
    // A close waits for the write in flight; a peer that reads nothing never lets either finish.
    close_timer_.expires_after(options_.close_grace);
    close_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (!ec && !self->done_) {
            boost::system::error_code ignored;
            beast::get_lowest_layer(self->ws_).socket().close(ignored);
        }
    });
    ws_.async_close(websocket::close_reason(code, reason), [self = shared_from_this()](boost::system::error_code) {
        self->finish(self->why_.c_str());
    });
}

void ws_session::finish(const char* why) {
    if (done_) return;
    done_ = true;
    if (!closing_) cursor_.detach(this);
    closing_ = true;
    close_timer_.cancel();
    boost::system::error_code ec;
    beast::get_lowest_layer(ws_).socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(ws_).socket().close(ec);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    log(log_level::info, "subscriber",
        {{"peer", peer_}, {"mount", cursor_.hub().settings().mount_id}, {"feed", "websocket"},
         {"messages", std::to_string(written_)}, {"seconds", fmt::format("{:.3f}", seconds)}, {"why", std::string(why)}});
    if (registration_) connections_.remove(std::exchange(registration_, 0));
}

void ws_session::on_messages() {
    asio::post(ws_.get_executor(), [self = shared_from_this()] { self->do_write(); });
}

void ws_session::on_behind() {
    asio::post(ws_.get_executor(), [self = shared_from_this()] {
        if (self->closing_ || self->done_) return;
        self->cursor_.hub().count_slow();
        self->do_close(websocket::close_code::policy_error, "too slow: fell behind the feed", "slow");
    });
}

void ws_session::on_rate_lowered(int rate) {
    asio::post(ws_.get_executor(), [self = shared_from_this(), rate] {
        self->cursor_.rate_lowered(rate);
        self->do_write();
    });
}

void ws_session::on_hub_closed(message_ptr closing) {
    asio::post(ws_.get_executor(), [self = shared_from_this(), closing = std::move(closing)] {
        self->cursor_.push_closing(closing);
        self->do_write();
    });
}

void ws_session::on_listener_start(const listener_start& start) {
    asio::post(ws_.get_executor(), [self = shared_from_this(), start] {
        if (self->done_) return;
        self->cursor_.listener_started(start);
        self->do_write();
    });
}

void ws_session::drain() { close(); }

void ws_session::close() {
    asio::post(ws_.get_executor(), [self = shared_from_this()] {
        self->do_close(websocket::close_code::going_away, "server shutting down", "drained");
    });
}

}  // namespace timeside::server::events
