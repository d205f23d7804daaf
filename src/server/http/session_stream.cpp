// The streamed half of a session: a response whose body a producer (an encode) writes while we
// send it, chunked (or as it is, when the head gives its Content-Length: a cached file). The head waits for the producer's first bytes, so a source that fails to
// open still gets a proper JSON error; after the head, a failure can only cut the transfer short
// (no last chunk, the client sees an incomplete body). One write in flight at a time; the
// producer does not wait for it (it writes its job's file): the next take() reads on from this
// session's offset whatever has been produced meanwhile.
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/write.hpp>
#include <fmt/format.h>

#include "server/http/session.hpp"
#include "server/log.hpp"

namespace timeside::server::http {

namespace asio = boost::asio;
namespace beast = boost::beast;

void session::do_stream(std::shared_ptr<body_stream> body) {
    writing_ = true;
    body_ = std::move(body);
    head_sent_ = false;
    stream_bytes_ = 0;
    stream_head_ = bhttp::response<bhttp::empty_body>(res_.base());
    if (stream_head_.has_content_length()) {
        raw_body_ = true;  // a complete file: its length is known, the bytes go out as they are
    } else {
        // HTTP/1.0 has no chunked encoding: the body runs to the end of the connection instead.
        raw_body_ = parser_->get().version() < 11;
        if (raw_body_) stream_head_.keep_alive(false);
        else stream_head_.chunked(true);
    }
    // The notification holds the session: while it waits for bytes no I/O of ours is pending,
    // and nothing else would keep it alive. release_stream() breaks the cycle.
    auto self = shared_from_this();
    body_->set_notify([self] { asio::post(self->executor_, [self] { self->on_stream_event(); }); });
}

void session::release_stream(bool cancel) {
    if (!body_) return;
    if (cancel) body_->cancel();
    body_->set_notify(nullptr);
    body_.reset();
    writing_ = false;
}

void session::on_stream_event() {
    if (!body_ || chunk_in_flight_ || closed_) return;
    std::string error;
    switch (body_->take(chunk_, error)) {
        case body_stream::state::pending: return;
        case body_stream::state::data: return head_sent_ ? do_write_chunk() : do_write_stream_head();
        case body_stream::state::end: return head_sent_ ? do_write_last_chunk() : do_write_stream_head();
        case body_stream::state::error:
        {
            const status code = body_->error_status();
            release_stream(false);
            if (!head_sent_) return do_respond(error_reply(code, error));
            log(log_level::error, "stream", {{"target", target_}, {"error", error}, {"peer", peer_}});
            log_request(stream_bytes_, "producer_failed");
            closed_ = true;
            return stream_.close();
        }
    }
}

void session::do_write_stream_head() {
    chunk_in_flight_ = true;
    head_serializer_.emplace(stream_head_);
    stream_.expires_after(context_.config.write_timeout);
    bhttp::async_write_header(stream_, *head_serializer_,
                              beast::bind_front_handler(&session::on_stream_head, shared_from_this()));
}

void session::on_stream_head(beast::error_code ec, size_t bytes) {
    chunk_in_flight_ = false;
    if (ec) return on_stream_failed(ec, "head");
    head_sent_ = true;
    stream_bytes_ += bytes;
    if (!chunk_.empty()) return do_write_chunk();
    on_stream_event();
}

void session::do_write_chunk() {
    chunk_in_flight_ = true;
    stream_.expires_after(context_.config.write_timeout);
    auto done = beast::bind_front_handler(&session::on_stream_chunk, shared_from_this());
    if (raw_body_) asio::async_write(stream_, asio::buffer(chunk_), std::move(done));
    else asio::async_write(stream_, bhttp::make_chunk(asio::buffer(chunk_)), std::move(done));
}

void session::on_stream_chunk(beast::error_code ec, size_t bytes) {
    chunk_in_flight_ = false;
    if (ec) return on_stream_failed(ec, "chunk");
    if (first_byte_ms_ < 0)
        first_byte_ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_).count();
    stream_bytes_ += bytes;
    chunk_.clear();
    on_stream_event();
}

void session::do_write_last_chunk() {
    if (raw_body_) return on_stream_done({}, 0);  // the close that follows ends the body
    chunk_in_flight_ = true;
    stream_.expires_after(context_.config.write_timeout);
    asio::async_write(stream_, bhttp::make_chunk_last(),
                      beast::bind_front_handler(&session::on_stream_done, shared_from_this()));
}

void session::on_stream_done(beast::error_code ec, size_t bytes) {
    chunk_in_flight_ = false;
    if (ec) return on_stream_failed(ec, "last chunk");
    stream_bytes_ += bytes;
    release_stream(false);
    log_request(stream_bytes_);
    if (!stream_head_.keep_alive() || draining_) return do_close();
    do_read();
}

void session::on_stream_failed(beast::error_code ec, const char*) {
    // The client left or stopped reading: stop its encode and drop the connection.
    release_stream(true);
    log_request(stream_bytes_, ec == beast::error::timeout ? "write_timeout" : "client_gone");
    closed_ = true;
    stream_.close();
}

}  // namespace timeside::server::http
