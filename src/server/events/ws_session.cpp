// The session's handlers all run on its shard's strand; the hub's calls come from other threads
// and are posted there. A write gathers into the shard's batch and is made at once, non-blocking
// (the common case: no handler, no allocation); only what the socket did not take moves into the
// session's own batch, finished by one async_write.
#include "server/events/ws_session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <fmt/format.h>

#include "server/events/ws_handshake.hpp"
#include "server/http/nonblocking_write.hpp"
#include "server/events/ws_shard.hpp"
#include "server/log.hpp"

namespace timeside::server::events {

namespace asio = boost::asio;
namespace beast = boost::beast;
using clock = std::chrono::steady_clock;

namespace {
constexpr size_t max_items_per_write = 64;
constexpr int max_writes_per_turn = 8;
constexpr int max_reads_per_turn = 4;
constexpr size_t max_unsent_control = 64 * 127;  // 64 pongs of the largest payload


std::string upgrade_key(const http::taken_connection& taken) {
    if (!taken.parser) return {};
    const auto key = taken.parser->get()[http::bhttp::field::sec_websocket_key];
    return std::string(key.data(), key.size());
}
}  // namespace

void ws_batch::fill() {
    buffers.clear();
    if (!head.empty()) buffers.emplace_back(head.data(), head.size());
    for (const auto& o : items) {
        buffers.emplace_back(o.ws_head().data(), o.ws_head().size());
        buffers.emplace_back(o.json().data(), o.json().size());
    }
    if (!tail.empty()) buffers.emplace_back(tail.data(), tail.size());
}

void ws_batch::clear() {
    head.clear();
    items.clear();
    tail.clear();
    buffers.clear();
}

ws_session::ws_session(http::taken_connection&& taken, std::shared_ptr<event_hub> hub,
                       std::shared_ptr<event_hub::place> place, subscription sub,
                       http::connection_registry& connections, session_options options)
    : shard_(ws_shard_for(*hub, taken.stream.get_executor())),
      socket_(http::take_socket(taken, shard_->executor())),
      cursor_(std::move(hub), std::move(place), std::move(sub)),
      connections_(connections),
      options_(options),
      handshake_(ws::handshake_response(upgrade_key(taken))),
      leftover_(beast::buffers_to_string(taken.buffer.data())),
      peer_(std::move(taken.peer)),
      started_(clock::now()),
      heard_(started_) {}

ws_session::~ws_session() {
    if (registration_) connections_.remove(registration_);
}

template <class F>
void ws_session::post(F&& f) {
    asio::post(shard_->executor(), std::forward<F>(f));
}

void ws_session::start() {
    size_t open = 0;
    registration_ = connections_.add(weak_from_this(), open);
    asio::dispatch(shard_->executor(), [self = shared_from_this()] {
        if (self->connections_.draining()) return self->finish("drained");
        boost::system::error_code ec;
        self->socket_.set_option(asio::socket_base::send_buffer_size(subscriber_send_buffer), ec);
        self->socket_.set_option(asio::ip::tcp::no_delay(true), ec);
        self->socket_.non_blocking(true, ec);  // do_write writes what the socket takes at once
        self->shard_->join(self.get(), self->slot_);
        self->joined_ = true;
        self->heard_ = clock::now();
        self->cursor_.attach(self);  // queues the hello
        if (!self->leftover_.empty()) self->on_bytes(std::exchange(self->leftover_, {}));
        self->do_read_wait();
        self->do_write();
    });
}

// Collects what goes out now into `b`: the 101 head and control frames, then (unless closing)
// the feed's next frames, then the close frame. Parks in the shard when there is nothing.
bool ws_session::gather(ws_batch& b) {
    b.clear();
    b.head = std::move(handshake_);
    handshake_.clear();
    b.head += control_;
    control_.clear();
    bool park = false;
    while (!closing_ && b.items.size() < max_items_per_write) {
        outgoing o;
        const bool idle = b.head.empty() && b.items.empty();
        const bool register_shard = idle && !shard_->registered();
        const auto got = cursor_.next(o, register_shard ? std::shared_ptr<feed_waiter>(shard_) : nullptr, *this);
        if (got == feed_cursor::next_result::item) {
            if (!o.shared) o.own_head = ws::frame_head(ws::opcode::text, o.own->size());
            const std::string closing = o.closing();
            b.items.push_back(std::move(o));
            if (closing == "end") {
                // 1000: a finite feed (an item's analysis, on main since this branch) said all it had.
                do_close(ws::close_code::normal, "end of the feed", "feed_end");
            } else if (!closing.empty()) {
                // 1012 (service restart): come back, the mount runs again; 1001: it is gone, or the server.
                const bool restart = closing == "restarted";
                do_close(restart ? ws::close_code::service_restart : ws::close_code::going_away,
                         restart ? "mount restarted" : "mount stopped", "mount_closed");
            }
            continue;
        }
        if (got == feed_cursor::next_result::idle) {
            if (register_shard) shard_->set_registered();
            park = idle;
        } else if (got == feed_cursor::next_result::lost) {
            cursor_.hub().count_slow();
            do_close(ws::close_code::policy_error, "too slow: fell behind the feed", "slow");
        } else {
            do_close(ws::close_code::going_away, "mount closed", "mount_closed");
        }
        break;
    }
    if (!close_.empty()) b.tail = std::move(close_);
    close_.clear();
    if (b.head.empty() && b.items.empty() && b.tail.empty()) {
        if (park && !parked_) {
            parked_ = true;
            shard_->park(shared_from_this());
        }
        return false;
    }
    b.fill();
    return true;
}

void ws_session::do_write() {
    if (in_write_) return;
    in_write_ = true;
    struct guard {
        bool& flag;
        ws_shard& shard;
        ~guard() {
            flag = false;
            shard.settle_tally();
        }
    } g{in_write_, *shard_};
    for (int turn = 0; turn < max_writes_per_turn; ++turn) {
        if (done_ || pending_) return;
        ws_batch& b = shard_->scratch();
        if (!gather(b)) return;
        boost::system::error_code ec;
        const size_t total = asio::buffer_size(b.buffers);
        const size_t n = http::write_now(socket_, b.buffers, ec);
        if (ec) {
            b.clear();
            return finish("client_gone");
        }
        if (n < total) {
            // The socket is full: the rest goes with one async write, from the session's own batch.
            pending_ = std::make_unique<ws_batch>(std::move(b));
            b.clear();
            pending_->fill();
            http::consume_front(pending_->buffers, n);
            asio::async_write(socket_, pending_->buffers, beast::bind_front_handler(&ws_session::on_write, shared_from_this()));
            return;
        }
        written(b, clock::now());
        b.clear();
    }
    // More than a few writes' worth waited: the rest after the shard's other subscribers.
    post([self = shared_from_this()] { self->do_write(); });
}

// A batch is out: deliveries counted (the latency to now), the cursor's done mark, and the close
// handshake's progress.
void ws_session::written(ws_batch& b, clock::time_point when) {
    for (const auto& o : b.items) {
        ++written_;
        if (o.shared) shard_->tally().add(o.shared->made, when);
    }
    if (!b.items.empty()) cursor_.mark_done(*this);
    if (!b.tail.empty()) {
        close_sent_ = true;
        if (close_received_) finish(why_.c_str());
    }
}

void ws_session::on_write(boost::system::error_code ec, size_t) {
    auto done = std::move(pending_);
    if (done_) return;
    if (ec) return finish("client_gone");
    written(*done, clock::now());
    shard_->flush_tally();
    do_write();
}

void ws_session::do_read_wait() {
    socket_.async_wait(asio::socket_base::wait_read, [self = shared_from_this()](boost::system::error_code ec) {
        self->on_readable(ec);
    });
}

void ws_session::on_readable(boost::system::error_code ec) {
    if (done_) return;
    if (ec) return finish("client_gone");
    auto& buffer = shard_->read_buffer();
    for (int turn = 0; turn < max_reads_per_turn && !done_; ++turn) {
        const size_t n = socket_.read_some(asio::buffer(buffer), ec);  // non-blocking
        if (ec == asio::error::would_block || ec == asio::error::try_again) break;
        if (ec) return finish(ec == asio::error::eof ? (closing_ ? why_.c_str() : "client_closed") : "client_gone");
        heard_ = clock::now();
        pinged_ = false;
        on_bytes(std::string_view(buffer.data(), n));
    }
    if (!done_) do_read_wait();
}

void ws_session::on_bytes(std::string_view data) {
    while (!data.empty() && !done_) {
        ws::frame_event ev;
        data.remove_prefix(parser_.parse(data, ev));
        if (ev.what != ws::frame_event::kind::none) on_frame(ev);
    }
}

void ws_session::on_frame(ws::frame_event& ev) {
    using kind = ws::frame_event::kind;
    switch (ev.what) {
        case kind::none: return;
        case kind::message:
            if (!closing_) on_client_message(ev.payload);  // a binary one is read as text: bad_json
            return;
        case kind::ping:
            if (closing_) return;
            // Pongs wait behind a full socket like replies do: a client that pings and reads nothing is closed.
            if (control_.size() >= max_unsent_control)
                return do_close(ws::close_code::policy_error, "too many pongs unread", "replies_unread");
            control_ += ws::control_frame(ws::opcode::pong, ev.payload);
            return do_write();
        case kind::pong: return;
        case kind::close:
            close_received_ = true;
            if (closing_) {
                if (close_sent_) finish(why_.c_str());
                return;
            }
            // Echo its code (RFC 6455 5.5.1), then the connection ends once ours is written.
            return do_close(ev.code == 1005 ? ws::close_code::normal : static_cast<ws::close_code>(ev.code), "", "client_closed");
        case kind::failed:
            if (closing_) return;  // only its close frame is waited for now
            return do_close(static_cast<ws::close_code>(ev.code), ev.reason,
                            ev.code == static_cast<uint16_t>(ws::close_code::too_big) ? "message_too_big" : "protocol_error");
    }
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
    if (!queued) return do_close(ws::close_code::policy_error, "too many replies unread", "replies_unread");
    do_write();
}

// Queues the close frame after whatever is being written and stops taking the feed; the
// connection ends when the peer's close frame came back, or close_grace after this.
void ws_session::do_close(ws::close_code code, const std::string& reason, const char* why) {
    if (closing_ || done_) return;
    closing_ = true;
    why_ = why;
    cursor_.detach(this);
    shard_->unpark(this);
    parser_.discard_data();
    close_ = ws::close_frame(code, reason);
    close_deadline_ = clock::now() + options_.close_grace;
    do_write();
}

void ws_session::keep_alive(clock::time_point now) {
    if (done_) return;
    if (closing_) {
        if (now >= close_deadline_) finish(why_.c_str());
        return;
    }
    if (now - heard_ >= 2 * options_.ping) {
        why_ = "no_pong";
        return finish("no_pong");
    }
    if (now - heard_ >= options_.ping && !pinged_) {
        pinged_ = true;
        control_ += ws::control_frame(ws::opcode::ping, "");
        do_write();
    }
}

void ws_session::finish(const char* why) {
    if (done_) return;
    done_ = true;
    if (!closing_) cursor_.detach(this);
    closing_ = true;
    if (joined_) shard_->leave(std::exchange(slot_, static_cast<size_t>(-1)));
    joined_ = false;
    shard_->unpark(this);
    boost::system::error_code ec;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    const double seconds = std::chrono::duration<double>(clock::now() - started_).count();
    log(log_level::info, "subscriber",
        {{"peer", peer_}, {"mount", cursor_.hub().settings().mount_id}, {"feed", "websocket"},
         {"messages", std::to_string(written_)}, {"seconds", fmt::format("{:.3f}", seconds)}, {"why", std::string(why)}});
    if (registration_) connections_.remove(std::exchange(registration_, 0));
}

void ws_session::on_messages() {
    post([self = shared_from_this()] { self->do_write(); });
}

void ws_session::on_behind() {
    post([self = shared_from_this()] {
        if (self->closing_ || self->done_) return;
        self->cursor_.hub().count_slow();
        self->do_close(ws::close_code::policy_error, "too slow: fell behind the feed", "slow");
    });
}

void ws_session::on_rate_changed(int rate, bool raised) {
    post([self = shared_from_this(), rate, raised] {
        if (self->closing_) return;
        self->cursor_.rate_changed(rate, raised);
        self->do_write();
    });
}

void ws_session::on_hub_closed(message_ptr closing) {
    post([self = shared_from_this(), closing = std::move(closing)] {
        self->cursor_.push_closing(closing);
        self->do_write();
    });
}

void ws_session::on_listener_start(const listener_start& start) {
    post([self = shared_from_this(), start] {
        if (self->done_) return;
        self->cursor_.listener_started(start);
        self->do_write();
    });
}

void ws_session::drain() { close(); }

void ws_session::close() {
    post([self = shared_from_this()] { self->do_close(ws::close_code::going_away, "server shutting down", "drained"); });
}

}  // namespace timeside::server::events
