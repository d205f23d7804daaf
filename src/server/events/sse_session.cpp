// SSE needs no framing beyond its text lines: a feed message goes out as its shared `id:`/`data:`
// head, its shared JSON and a blank line, gathered into one write (nothing copied per subscriber).
#include "server/events/sse_session.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <fmt/format.h>

#include "server/log.hpp"

namespace timeside::server::events {

namespace asio = boost::asio;
namespace beast = boost::beast;

namespace {
const std::string& sse_head() {
    static const std::string head = fmt::format(
        "HTTP/1.1 200 OK\r\nServer: TimeSide {}\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
        "Cache-Control: no-cache, no-store\r\nAccess-Control-Allow-Origin: *\r\nX-Accel-Buffering: no\r\n"
        "Connection: close\r\n\r\nretry: {}\n\n",
        TIMESIDE_VERSION, sse_retry_ms);
    return head;
}
const std::string keep_alive_comment = ": keep-alive\n\n";
const std::string blank_line = "\n\n";
}  // namespace

sse_session::sse_session(http::taken_connection&& taken, std::shared_ptr<event_hub> hub,
                         std::shared_ptr<event_hub::place> place, subscription sub,
                         std::optional<uint64_t> last_event_id, http::connection_registry& connections)
    : stream_(std::move(taken.stream)),
      keep_alive_(stream_.get_executor()),
      cursor_(std::move(hub), std::move(place), std::move(sub)),
      last_event_id_(last_event_id),
      connections_(connections),
      peer_(std::move(taken.peer)),
      started_(std::chrono::steady_clock::now()),
      last_write_(started_) {}

sse_session::~sse_session() {
    if (registration_) connections_.remove(registration_);
}

void sse_session::start() {
    size_t open = 0;
    registration_ = connections_.add(weak_from_this(), open);
    stream_.expires_never();  // a feed is quiet for long stretches; the hub's lag check finds a stuck one
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
        if (self->connections_.draining()) return self->finish("drained");
        boost::system::error_code ec;
        self->stream_.socket().set_option(asio::ip::tcp::no_delay(true), ec);
        self->stream_.socket().set_option(asio::socket_base::send_buffer_size(subscriber_send_buffer), ec);
        self->cursor_.attach(self, self->last_event_id_);
        self->arm_keep_alive();
        self->do_read();
        self->do_write();
    });
}

// The client sends nothing after its request; a read that ends says it has gone.
void sse_session::do_read() {
    stream_.async_read_some(asio::buffer(read_buffer_), [self = shared_from_this()](boost::system::error_code ec, size_t) {
        if (ec) return self->finish("client_gone");
        self->do_read();
    });
}

void sse_session::arm_keep_alive() {
    keep_alive_.expires_after(sse_keep_alive);
    keep_alive_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (ec || self->done_) return;
        if (std::chrono::steady_clock::now() - self->last_write_ >= sse_keep_alive / 2) {
            self->keep_alive_due_ = true;
            self->do_write();
        }
        self->arm_keep_alive();
    });
}

void sse_session::do_write() {
    if (writing_ || done_) return;
    buffers_.clear();
    if (!head_sent_) buffers_.push_back(asio::buffer(sse_head()));
    if (keep_alive_due_) buffers_.push_back(asio::buffer(keep_alive_comment));
    switch (cursor_.next(in_flight_, shared_from_this(), *this)) {
        case feed_cursor::next_result::item:
            if (in_flight_.shared) {
                buffers_.push_back(asio::buffer(in_flight_.shared->sse_head));
            } else {
                // The hello carries the cursor it starts from as its id: a reconnect right after it misses nothing.
                prefix_ = hello_sent_ ? "data: " : fmt::format("id: {}\ndata: ", cursor_.start_seq());
                hello_sent_ = true;
                buffers_.push_back(asio::buffer(prefix_));
            }
            buffers_.push_back(asio::buffer(in_flight_.json()));
            buffers_.push_back(asio::buffer(blank_line));
            break;
        case feed_cursor::next_result::idle: break;
        case feed_cursor::next_result::lost: cursor_.hub().count_slow(); return finish("slow");
        case feed_cursor::next_result::closed: return finish("mount_closed");
    }
    if (buffers_.empty()) return;
    head_sent_ = true;
    keep_alive_due_ = false;
    writing_ = true;
    asio::async_write(stream_, buffers_, beast::bind_front_handler(&sse_session::on_write, shared_from_this()));
}

void sse_session::on_write(boost::system::error_code ec, size_t) {
    writing_ = false;
    if (ec) return finish("client_gone");
    last_write_ = std::chrono::steady_clock::now();
    if (in_flight_.shared || in_flight_.own) {
        ++written_;
        cursor_.written(in_flight_, *this);
    }
    if (!in_flight_.closing().empty()) return finish("mount_closed");
    in_flight_ = {};
    do_write();
}

void sse_session::finish(const char* why) {
    if (done_) return;
    done_ = true;
    cursor_.detach(this);
    keep_alive_.cancel();
    boost::system::error_code ec;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    log(log_level::info, "subscriber",
        {{"peer", peer_}, {"mount", cursor_.hub().settings().mount_id}, {"feed", "sse"},
         {"messages", std::to_string(written_)}, {"seconds", fmt::format("{:.3f}", seconds)}, {"why", std::string(why)}});
    if (registration_) connections_.remove(std::exchange(registration_, 0));
}

void sse_session::on_messages() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] { self->do_write(); });
}

void sse_session::on_behind() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
        if (self->done_) return;
        self->cursor_.hub().count_slow();
        self->finish("slow");
    });
}

void sse_session::on_rate_changed(int rate, bool raised) {
    asio::post(stream_.get_executor(), [self = shared_from_this(), rate, raised] {
        self->cursor_.rate_changed(rate, raised);
        self->do_write();
    });
}

void sse_session::on_hub_closed(message_ptr closing) {
    asio::post(stream_.get_executor(), [self = shared_from_this(), closing = std::move(closing)] {
        self->cursor_.push_closing(closing);
        self->do_write();
    });
}

void sse_session::on_listener_start(const listener_start& start) {
    asio::post(stream_.get_executor(), [self = shared_from_this(), start] {
        if (self->done_) return;
        self->cursor_.listener_started(start);
        self->do_write();
    });
}

void sse_session::drain() { close(); }

void sse_session::close() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] { self->finish("drained"); });
}

}  // namespace timeside::server::events
