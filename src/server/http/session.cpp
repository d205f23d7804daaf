// The request loop of one connection. Deadlines: the first request must arrive whole within the
// read timeout; between requests the idle timeout waits for a first byte, then the read timeout
// covers the rest; each response write has the write timeout. A request the parser refuses gets
// its error (400, 413, 431, 501) and the connection closes after a short lingering read, so that
// the client sees the answer instead of a reset.
#include "server/http/session.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <fmt/format.h>

#include "server/http/request_framing.hpp"
#include "server/log.hpp"

namespace timeside::server::http {

namespace asio = boost::asio;
namespace beast = boost::beast;

namespace {
constexpr auto linger_time = std::chrono::milliseconds(500);
constexpr size_t linger_read = 4096;
}

session::session(asio::ip::tcp::socket socket, session_context& context)
    : stream_(std::move(socket)), executor_(stream_.get_executor()), context_(context), buffer_(context.config.header_limit) {
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    peer_ = ec ? "-" : fmt::format("{}:{}", ep.address().to_string(), ep.port());
}

session::~session() {
    if (streamed_.body) streamed_.body->cancel();  // the client is gone: its encode stops
    if (registration_) context_.connections.remove(registration_);
}

void session::start() {
    size_t open = 0;
    registration_ = context_.connections.add(weak_from_this(), open);
    over_capacity_ = open > context_.config.connection_cap();
    asio::dispatch(executor_, beast::bind_front_handler(&session::do_read, shared_from_this()));
}

// The legal moves of phase_. Closing is always legal (a write fails, the server stops), except
// for a stream that is no longer ours.
void session::enter(phase next) {
    [[maybe_unused]] const auto legal = [](phase from, phase to) {
        switch (to) {
            case phase::reading:  // the first request, or the next one once an answer ended
                return from == phase::reading || from == phase::responding || from == phase::stream_waiting ||
                       from == phase::stream_writing;
            case phase::responding:  // an answer, or the error a streamed answer's producer gave first
                return from == phase::reading || from == phase::stream_first_bytes;
            case phase::stream_first_bytes: return from == phase::reading;
            case phase::stream_head: return from == phase::stream_first_bytes;
            case phase::stream_waiting: return from == phase::stream_head || from == phase::stream_writing;
            case phase::stream_writing: return from == phase::stream_waiting;
            case phase::lingering:
                return from == phase::reading || from == phase::responding || from == phase::stream_waiting ||
                       from == phase::stream_writing;
            case phase::closed: return from != phase::handed_over;
            case phase::handed_over: return from == phase::reading;
        }
        return false;
    };
    assert(legal(phase_, next));
    phase_ = next;
}

bool session::finished() const {
    return phase_ == phase::lingering || phase_ == phase::closed || phase_ == phase::handed_over;
}

void session::drain() {
    asio::post(executor_, [self = shared_from_this()] {
        self->last_answer_ = true;
        // An answer under way ends, then the connection closes (its end sees last_answer_);
        // one lingering, closed or handed over is not ours to close.
        if (self->phase_ != phase::reading) return;
        // Waiting for or reading a request: no answer to protect, so no lingering close.
        self->enter(phase::closed);
        self->stream_.close();
    });
}

void session::close() {
    asio::post(executor_, [self = shared_from_this()] {
        if (self->finished()) return;  // closing already, closed, or handed over: not ours
        self->release_stream(true);
        self->enter(phase::closed);
        self->stream_.close();
    });
}

void session::do_read() {
    if (last_answer_ || phase_ == phase::closed || context_.connections.draining()) return do_close();
    enter(phase::reading);
    parser_ = std::make_unique<bhttp::request_parser<bhttp::string_body>>();
    parser_->header_limit(static_cast<std::uint32_t>(context_.config.header_limit));
    parser_->body_limit(context_.config.body_limit);
    if (requests_ > 0 && buffer_.size() == 0) {
        // Keep-alive: wait for the next request's first byte under the idle timeout.
        stream_.expires_after(context_.config.idle_timeout);
        stream_.async_read_some(buffer_.prepare(1024),
                                beast::bind_front_handler(&session::on_first_bytes, shared_from_this()));
        return;
    }
    do_read_request();
}

void session::on_first_bytes(beast::error_code ec, size_t bytes) {
    if (ec) {
        if (ec == beast::error::timeout) return do_close();  // an idle keep-alive connection: normal
        return on_read_error(ec);
    }
    buffer_.commit(bytes);
    do_read_request();
}

void session::do_read_request() {
    stream_.expires_after(context_.config.read_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_, beast::bind_front_handler(&session::on_header, shared_from_this()));
}

// The head first, so that a body whose end we could not know is never read (request_framing).
// Then the body: Beast's parser keeps a chunk-size line or a trailer section whole in the buffer
// until it ends, so the buffer's cap (header_limit), not the client, bounds it; and every byte
// consumed after the head counts against body_limit, so that framing cannot stand in for data.
void session::on_header(beast::error_code ec, size_t) {
    if (ec) return on_read_error(ec);
    begin_request();
    body_bytes_ = 0;
    if (auto refusal = transfer_coding_refusal(parser_->get())) {
        last_answer_ = true;  // the body's end is unknown: never read past the head
        return do_respond(std::move(*refusal));
    }
    // A route that reads its own body (a source's never-ending stream) is answered now.
    if (parser_->is_done() || context_.routes.streams_body(parser_->get())) return on_request();
    do_read_body();
}

void session::do_read_body() {
    bhttp::async_read_some(stream_, buffer_, *parser_, beast::bind_front_handler(&session::on_body, shared_from_this()));
}

void session::on_body(beast::error_code ec, size_t bytes) {
    if (ec) return on_read_error(ec);
    body_bytes_ += bytes;
    if (body_bytes_ > context_.config.body_limit) {
        last_answer_ = true;
        return do_respond(error_reply(status::payload_too_large,
                                      fmt::format("request body exceeds {} bytes (body_limit), chunk framing included",
                                                  context_.config.body_limit)));
    }
    if (!parser_->is_done()) return do_read_body();
    on_request();
}

void session::begin_request() {
    started_ = std::chrono::steady_clock::now();
    first_byte_ms_ = -1;
    ++requests_;
    const request& req = parser_->get();
    method_ = std::string(req.method_string());
    target_ = std::string(req.target());
    route_ = "unmatched";
}

void session::on_request() {
    if (over_capacity_) {
        last_answer_ = true;
        auto res = error_reply(status::service_unavailable,
                               fmt::format("too many connections (max_connections = {})", context_.config.connection_cap()));
        res.set(bhttp::field::retry_after, "1");
        return do_respond(std::move(res));
    }
    std::optional<reply> answer;
    try {
        answer.emplace(context_.routes.dispatch(parser_->get(), &route_));
    } catch (...) {
        // The router answers every handler's exception itself; this is what escaped it (an
        // answer that could not be built). The client gets a 500, the cause goes to the log.
        std::string cause = "unknown exception";
        try {
            throw;
        } catch (const std::exception& e) {
            cause = e.what();
        } catch (...) {
        }
        log(log_level::error, "request_failed", {{"target", target_}, {"error", cause}, {"peer", peer_}});
        last_answer_ = true;
        answer.emplace(error_reply(status::internal_server_error, "internal error"));
    }
    do_respond(std::move(*answer));
}

void session::on_read_error(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == asio::error::operation_aborted || phase_ == phase::closed)
        return do_close();
    if (ec == beast::error::timeout) {
        // The socket is already closed: a slow or silent client (slowloris) is simply dropped.
        enter(phase::closed);
        log(log_level::warn, "timeout",
            {{"peer", peer_}, {"phase", parser_ && parser_->got_some() ? "request" : "waiting"}, {"requests", std::to_string(requests_)}});
        return;
    }
    const bool head_read = parser_ && parser_->is_header_done();
    if (!head_read) {  // else begin_request() named the request already
        started_ = std::chrono::steady_clock::now();
        first_byte_ms_ = -1;
        method_ = "-";
        target_ = "-";
        route_ = "unmatched";
    }
    last_answer_ = true;  // the stream is out of step: answer, then close
    if (ec == bhttp::error::buffer_overflow && head_read) {
        const auto data = buffer_.data();
        return do_respond(framing_overflow_reply(std::string_view(static_cast<const char*>(data.data()), data.size()),
                                                 context_.config.header_limit));
    }
    if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow)
        return do_respond(error_reply(status::request_header_fields_too_large,
                                      fmt::format("request headers exceed {} bytes (header_limit)", context_.config.header_limit)));
    if (ec == bhttp::error::body_limit)
        return do_respond(error_reply(status::payload_too_large,
                                      fmt::format("request body exceeds {} bytes (body_limit)", context_.config.body_limit)));
    if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category())
        return do_respond(error_reply(status::bad_request, fmt::format("malformed request: {}", ec.message())));
    do_close();  // a network error: nobody to answer
}

void session::do_respond(reply r) {
    if (r.takeover) return do_hand_over(std::move(r));
    response& res = r.res;
    res.set(bhttp::field::server, "TimeSide/" TIMESIDE_VERSION);
    // Everything here is public, read-only data: any page may fetch it (the dashboard, peaks.js).
    res.set(bhttp::field::access_control_allow_origin, "*");
    res.set(bhttp::field::access_control_expose_headers, "Content-Length, Content-Range, Accept-Ranges, ETag");
    const bool keep = parser_ && parser_->is_done() && parser_->get().keep_alive() && !last_answer_ &&
                      !context_.connections.draining();
    res.keep_alive(keep);
    const bool head = parser_ && parser_->is_done() && parser_->get().method() == bhttp::verb::head;
    res_ = std::move(res);
    if (r.stream) {
        if (!head) return do_stream(std::move(r.stream));
        r.stream->cancel();
    }
    head_res_.reset();
    if (head) head_res_.emplace(res_.base());  // the same headers, Content-Length included, no body
    do_write();
}

// The route takes the connection: it leaves the registry here (its new owner registers itself),
// and nothing of the session touches the stream again.
void session::do_hand_over(reply r) {
    enter(phase::handed_over);
    if (registration_) context_.connections.remove(std::exchange(registration_, 0));
    res_ = std::move(r.res);
    log_request(0, "taken_over");
    r.takeover(taken_connection{std::move(stream_), std::move(buffer_), std::move(parser_), peer_});
}

void session::do_write() {
    enter(phase::responding);
    // The body goes out with the head in this write (streams time their first chunk instead).
    if (!head_res_ && !res_.body().empty())
        first_byte_ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_).count();
    stream_.expires_after(context_.config.write_timeout);
    auto done = beast::bind_front_handler(&session::on_write, shared_from_this());
    if (head_res_) bhttp::async_write(stream_, *head_res_, std::move(done));
    else bhttp::async_write(stream_, res_, std::move(done));
}

void session::on_write(beast::error_code ec, size_t bytes) {
    log_request(bytes, ec ? (ec == beast::error::timeout ? "write_timeout" : "write_error") : nullptr);
    if (phase_ == phase::closed) return;  // close() came while the write was in flight
    if (ec) {
        enter(phase::closed);
        return stream_.close();
    }
    if (!res_.keep_alive() || last_answer_) return do_close();
    do_read();
}

void session::do_close() {
    if (finished()) return;
    beast::error_code ec;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    if (ec) {
        enter(phase::closed);
        return stream_.close();
    }
    enter(phase::lingering);
    // Lingering close: read and discard what the client still sends until it closes or the
    // linger time passes, so unread request bytes do not turn our last answer into a reset.
    stream_.expires_after(linger_time);
    do_linger();
}

void session::do_linger() {
    buffer_.clear();
    stream_.async_read_some(buffer_.prepare(std::min(linger_read, buffer_.max_size())),
                            beast::bind_front_handler(&session::on_linger, shared_from_this()));
}

void session::on_linger(beast::error_code ec, size_t) {
    if (ec) {
        enter(phase::closed);
        return stream_.close();
    }
    do_linger();
}

void session::log_request(size_t bytes, const char* outcome) const {
    context_.stats.on_request(route_, method_, res_.result_int(), bytes, first_byte_ms_ < 0 ? -1 : first_byte_ms_ / 1000);
    if (!context_.config.access_log) return;
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_).count();
    log_fields fields{{"method", method_},
                      {"target", target_},
                      {"status", std::to_string(res_.result_int())},
                      {"bytes", std::to_string(bytes)},
                      {"ms", fmt::format("{:.3f}", ms)},
                      {"peer", peer_}};
    if (first_byte_ms_ >= 0) fields.emplace_back("first_byte_ms", fmt::format("{:.3f}", first_byte_ms_));
    if (outcome) fields.emplace_back("outcome", outcome);
    const bool normal = !outcome || std::string_view(outcome) == "taken_over";
    log(normal ? log_level::info : log_level::warn, "request", fields);
}

}  // namespace timeside::server::http
