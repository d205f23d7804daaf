// ingest_session: the 100 Continue / 200 OK heads, then the body read as a stream into the
// source's push_input: one read in flight, none while the input buffer is full (TCP then holds
// the source back), each read under source_timeout. Everything runs on the connection's strand.
#include "server/live/ingest_session.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <fmt/format.h>

#include "server/log.hpp"

namespace timeside::server::live {

namespace asio = boost::asio;
namespace beast = boost::beast;

ingest_session::ingest_session(http::taken_connection&& taken, setup s, http::connection_registry& connections,
                               const ingest_limits& limits)
    : stream_(std::move(taken.stream)), first_bytes_(std::move(taken.buffer)), setup_(std::move(s)),
      connections_(connections), limits_(limits), started_(std::chrono::steady_clock::now()) {
    read_buf_.resize(limits_.read_bytes);
}

ingest_session::~ingest_session() {
    if (registration_) connections_.remove(registration_);
    if (finished_) return;
    // Destroyed unfinished (its io_context went away with a handler pending): the input must not
    // keep our strand's executor, nor the mount a source nobody feeds.
    setup_.input->set_on_space(nullptr);
    setup_.input->stop();
    if (attached_) setup_.mount->detach_source(setup_.input);
}

void ingest_session::start() {
    size_t open = 0;
    registration_ = connections_.add(weak_from_this(), open);
    std::weak_ptr<ingest_session> weak = weak_from_this();
    setup_.input->set_on_space([weak, executor = stream_.get_executor()] {
        asio::post(executor, [weak] {
            if (auto self = weak.lock()) self->on_space();
        });
    });
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
        if (self->connections_.draining()) return self->finish("server_draining", false);
        self->do_attach();
    });
}

// 409 when the mount has its source already: written here, as the HTTP session would have.
void ingest_session::do_attach() {
    attached_ = setup_.mount->attach_source(setup_.input, setup_.info);
    if (attached_) {
        log(log_level::info, "source_connected",
            {{"mount", setup_.mount_path}, {"peer", setup_.info.peer}, {"method", setup_.info.method},
             {"content_type", setup_.info.content_type}, {"user_agent", setup_.info.user_agent}});
        return do_write_head();
    }
    const std::string body = fmt::format("{}: a source is already connected\n", setup_.mount_path);
    head_ = fmt::format("HTTP/{} 409 Conflict\r\nServer: TimeSide/" TIMESIDE_VERSION
                        "\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}"
                        "\r\n\r\n{}",
                        setup_.http10 ? "1.0" : "1.1", body.size(), body);
    stream_.expires_after(limits_.write_timeout);
    asio::async_write(stream_, asio::buffer(head_), [self = shared_from_this()](beast::error_code ec, size_t) {
        if (ec) return self->finish("mount_busy", false);
        // The client may still be sending its body: closing now would reset the connection and
        // lose the answer. Our side is shut, what comes is read and dropped, briefly.
        beast::error_code ignored;
        self->stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
        self->stream_.expires_after(std::chrono::seconds(2));
        self->do_linger();
    });
}

void ingest_session::do_linger() {
    stream_.async_read_some(asio::buffer(read_buf_), [self = shared_from_this()](beast::error_code ec, size_t) {
        if (ec) return self->finish("mount_busy", false);
        self->do_linger();
    });
}

void ingest_session::drain() { close(); }

void ingest_session::close() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] { self->finish("server_closing", false); });
}

// Expect: 100-continue gets its interim answer first, in a write of its own, then the 200 head
// Icecast sends (ffmpeg reads the 100 only; libshout waits for the 200 before it sends audio).
void ingest_session::do_write_head() {
    if (setup_.send_continue && !continue_sent_) {
        continue_sent_ = true;
        head_ = "HTTP/1.1 100 Continue\r\n\r\n";
    } else {
        setup_.send_continue = false;
        head_ = fmt::format("HTTP/{} 200 OK\r\nServer: TimeSide/" TIMESIDE_VERSION
                            "\r\nConnection: close\r\nAllow: PUT, SOURCE\r\nCache-Control: no-cache, no-store\r\n\r\n",
                            setup_.http10 ? "1.0" : "1.1");
    }
    stream_.expires_after(limits_.write_timeout);
    asio::async_write(stream_, asio::buffer(head_), beast::bind_front_handler(&ingest_session::on_head, shared_from_this()));
}

void ingest_session::on_head(beast::error_code ec, size_t) {
    if (finished_) return;
    if (ec) return finish(ec == beast::error::timeout ? "write_timeout" : "write_error", false);
    if (setup_.send_continue) return do_write_head();
    // The bytes the HTTP session read past the head are the body's first.
    if (first_bytes_.size() > 0) {
        const auto data = first_bytes_.data();
        std::vector<unsigned char> first(static_cast<const unsigned char*>(data.data()),
                                         static_cast<const unsigned char*>(data.data()) + data.size());
        first_bytes_.consume(first_bytes_.size());
        take_body(first.data(), first.size());
        if (finished_ || paused_) return;
    }
    do_read();
}

void ingest_session::do_read() {
    if (finished_ || paused_) return;
    stream_.expires_after(setup_.mount->source_timeout());
    stream_.async_read_some(asio::buffer(read_buf_),
                            beast::bind_front_handler(&ingest_session::on_read, shared_from_this()));
}

void ingest_session::on_read(beast::error_code ec, size_t bytes) {
    if (finished_) return;
    // ffmpeg never reads our 200 and resets the connection when it ends: an end like any other.
    if (ec == asio::error::eof || ec == asio::error::connection_reset) return finish("source_disconnected", true);
    if (ec == beast::error::timeout) return finish("source_timeout", false);
    if (ec) {
        log(log_level::warn, "source_read_error", {{"mount", setup_.mount_path}, {"error", ec.message()}});
        return finish("read_error", false);
    }
    take_body(read_buf_.data(), bytes);
    do_read();
}

void ingest_session::take_body(const unsigned char* data, size_t size) {
    body_bytes_ += size;
    payload_.clear();
    if (!setup_.body.consume(data, size, payload_)) {
        log(log_level::warn, "source_bad_framing",
            {{"mount", setup_.mount_path}, {"peer", setup_.info.peer}, {"error", setup_.body.error()}});
        return finish("bad_framing", false);
    }
    if (!payload_.empty()) {
        switch (setup_.input->feed(payload_.data(), payload_.size())) {
            case push_input::feed_result::accepted: break;
            case push_input::feed_result::full:
                // No operation in flight holds us now: we hold ourselves until on_space or finish.
                paused_ = true;
                paused_self_ = shared_from_this();
                break;
            case push_input::feed_result::closed:
                return finish(setup_.input->failed() ? "source_failed" : "input_stopped", false);
        }
    }
    if (setup_.body.done()) finish("source_body_complete", true);
}

void ingest_session::on_space() {
    if (finished_ || !paused_) return;
    auto keep = std::move(paused_self_);
    if (setup_.input->failed()) return finish("source_failed", false);
    paused_ = false;
    do_read();
}

void ingest_session::finish(const char* why, bool source_ended) {
    if (finished_) return;
    finished_ = true;
    auto keep = std::move(paused_self_);
    setup_.input->set_on_space(nullptr);  // the input may outlive this session and its strand
    if (!attached_) {
        setup_.input->stop();
        beast::error_code ignored;
        stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
        stream_.close();
        if (registration_) connections_.remove(std::exchange(registration_, 0));
        return;
    }
    // A source that ended its body plays out what it sent; one cut off (timeout, garbage, a
    // shutdown) is silenced now, so the mount falls back at once.
    if (source_ended) setup_.input->end_of_stream();
    else setup_.input->stop();
    setup_.mount->detach_source(setup_.input);
    std::string error = setup_.input->error();
    const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    log(source_ended ? log_level::info : log_level::warn, "source_disconnected",
        {{"mount", setup_.mount_path}, {"peer", setup_.info.peer}, {"reason", why},
         {"bytes", std::to_string(body_bytes_)}, {"seconds", fmt::format("{:.1f}", seconds)},
         {"error", error}});
    beast::error_code ignored;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    stream_.close();
    if (registration_) connections_.remove(std::exchange(registration_, 0));
}

}  // namespace timeside::server::live
