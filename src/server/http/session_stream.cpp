// The streamed half of a session: a response whose body a producer (an encode) writes while we
// send it, chunked (or as it is, when the head gives its Content-Length: a cached file). The head
// waits for the producer's first bytes (phase stream_first_bytes), so a source that fails to open
// still gets a proper JSON error; after the head, a failure can only cut the transfer short (no
// last chunk, the client sees an incomplete body). One write in flight at a time (stream_head,
// stream_writing); the producer does not wait for it (it writes its job's file): the next take()
// reads on from this session's offset whatever has been produced meanwhile.
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
    enter(phase::stream_first_bytes);
    streamed_.body = std::move(body);
    streamed_.bytes = 0;
    streamed_.chunk.clear();
    streamed_.head = bhttp::response<bhttp::empty_body>(res_.base());
    if (streamed_.head.has_content_length()) {
        streamed_.frame = streamed_answer::framing::raw;  // a complete file: the bytes go out as they are
    } else if (parser_->get().version() < 11) {
        // HTTP/1.0 has no chunked encoding: the body runs to the end of the connection instead.
        streamed_.frame = streamed_answer::framing::raw;
        streamed_.head.keep_alive(false);
    } else {
        streamed_.frame = streamed_answer::framing::chunked;
        streamed_.head.chunked(true);
    }
    // The notification holds the session: while it waits for bytes no I/O of ours is pending,
    // and nothing else would keep it alive. release_stream() breaks the cycle.
    auto self = shared_from_this();
    streamed_.body->set_notify([self] { asio::post(self->executor_, [self] { self->on_stream_event(); }); });
}

void session::release_stream(bool cancel) {
    if (!streamed_.body) return;
    if (cancel) streamed_.body->cancel();
    streamed_.body->set_notify(nullptr);
    streamed_.body.reset();
}

// The producer has something: acted on only between writes (a write in flight comes back here
// when it completes, and takes whatever arrived meanwhile).
void session::on_stream_event() {
    const bool head_sent = phase_ == phase::stream_waiting;
    if (!head_sent && phase_ != phase::stream_first_bytes) return;
    std::string error;
    switch (streamed_.body->take(streamed_.chunk, error)) {
        case body_stream::state::pending: return;
        case body_stream::state::data: return head_sent ? do_write_chunk() : do_write_stream_head();
        case body_stream::state::end: return head_sent ? do_write_last_chunk() : do_write_stream_head();
        case body_stream::state::error:
        {
            const status code = streamed_.body->error_status();
            release_stream(false);
            if (!head_sent) return do_respond(error_reply(code, error));
            log(log_level::error, "stream", {{"target", target_}, {"error", error}, {"peer", peer_}});
            log_request(streamed_.bytes, "producer_failed");
            enter(phase::closed);
            return stream_.close();
        }
    }
}

void session::do_write_stream_head() {
    enter(phase::stream_head);
    streamed_.head_serializer.emplace(streamed_.head);
    stream_.expires_after(context_.config.write_timeout);
    bhttp::async_write_header(stream_, *streamed_.head_serializer,
                              beast::bind_front_handler(&session::on_stream_head, shared_from_this()));
}

void session::on_stream_head(beast::error_code ec, size_t bytes) {
    if (ec || phase_ == phase::closed) return on_stream_failed(ec ? ec : asio::error::operation_aborted, "head");
    enter(phase::stream_waiting);
    streamed_.bytes += bytes;
    if (!streamed_.chunk.empty()) return do_write_chunk();
    on_stream_event();
}

void session::do_write_chunk() {
    enter(phase::stream_writing);
    stream_.expires_after(context_.config.write_timeout);
    auto done = beast::bind_front_handler(&session::on_stream_chunk, shared_from_this());
    const auto bytes = asio::buffer(streamed_.chunk);
    if (streamed_.frame == streamed_answer::framing::raw) asio::async_write(stream_, bytes, std::move(done));
    else asio::async_write(stream_, bhttp::make_chunk(bytes), std::move(done));
}

void session::on_stream_chunk(beast::error_code ec, size_t bytes) {
    if (ec || phase_ == phase::closed) return on_stream_failed(ec ? ec : asio::error::operation_aborted, "chunk");
    enter(phase::stream_waiting);
    if (first_byte_ms_ < 0)
        first_byte_ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_).count();
    streamed_.bytes += bytes;
    streamed_.chunk.clear();
    on_stream_event();
}

void session::do_write_last_chunk() {
    // Raw framing: the close that follows ends the body (or its Content-Length did).
    if (streamed_.frame == streamed_answer::framing::raw) return on_stream_done({}, 0);
    enter(phase::stream_writing);
    stream_.expires_after(context_.config.write_timeout);
    asio::async_write(stream_, bhttp::make_chunk_last(),
                      beast::bind_front_handler(&session::on_stream_done, shared_from_this()));
}

void session::on_stream_done(beast::error_code ec, size_t bytes) {
    if (ec || phase_ == phase::closed) return on_stream_failed(ec ? ec : asio::error::operation_aborted, "last chunk");
    streamed_.bytes += bytes;
    release_stream(false);
    log_request(streamed_.bytes);
    if (!streamed_.head.keep_alive() || last_answer_) return do_close();
    do_read();
}

void session::on_stream_failed(beast::error_code ec, const char*) {
    // The client left or stopped reading (or close() came): stop its encode and drop the connection.
    release_stream(true);
    log_request(streamed_.bytes, ec == beast::error::timeout ? "write_timeout" : "client_gone");
    enter(phase::closed);
    stream_.close();
}

}  // namespace timeside::server::http
