// One HTTP/1.1 connection: reads a request's head, checks how its body is framed, then reads the
// body, under header and body limits (chunk framing included) and a deadline per request (a
// slowloris client is cut off); answers through the router, keeps the connection alive between
// requests up to the idle timeout, and logs one line per request. Nothing a request does
// escapes as an exception: the session answers 500 and closes.
// Streamed answers (a body_stream) go out chunked, one socket write in flight at a time; the
// producer never waits for them (session_stream.cpp). A route may instead take the connection
// over (reply::takeover): the session hands its stream, buffer and parser to the route's owner and
// is done. Everything runs on the strand.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/serializer.hpp>

#include "server/config.hpp"
#include "server/http/connections.hpp"
#include "server/http/router.hpp"
#include "server/metrics.hpp"

namespace timeside::server::http {

// What every session shares; owned by the server, outlives the sessions.
struct session_context {
    const server_config& config;
    const router& routes;
    connection_registry& connections;
    timeside::server::metrics& stats;  // every answered request is counted by its route pattern
};

class session : public connection, public std::enable_shared_from_this<session> {
public:
    session(boost::asio::ip::tcp::socket socket, session_context& context);
    ~session() override;

    void start();
    void drain() override;
    void close() override;

private:
    void do_read();
    void on_first_bytes(boost::beast::error_code ec, size_t bytes);
    void do_read_request();
    void on_header(boost::beast::error_code ec, size_t bytes);
    void do_read_body();
    void on_body(boost::beast::error_code ec, size_t bytes);
    void begin_request();
    void on_request();
    void on_read_error(boost::beast::error_code ec);
    void do_respond(reply r);
    void do_hand_over(reply r);
    void do_write();
    void on_write(boost::beast::error_code ec, size_t bytes);
    void do_close();
    void do_linger();
    void on_linger(boost::beast::error_code ec, size_t bytes);
    void log_request(size_t bytes, const char* outcome = nullptr) const;

    // session_stream.cpp
    void do_stream(std::shared_ptr<body_stream> body);
    void on_stream_event();
    void do_write_stream_head();
    void on_stream_head(boost::beast::error_code ec, size_t bytes);
    void do_write_chunk();
    void on_stream_chunk(boost::beast::error_code ec, size_t bytes);
    void do_write_last_chunk();
    void on_stream_done(boost::beast::error_code ec, size_t bytes);
    void on_stream_failed(boost::beast::error_code ec, const char* outcome);
    void release_stream(bool cancel);

    // The connection's life, one phase at a time. Every change goes through enter(), which
    // knows the legal moves; drain() and close() act by phase.
    enum class phase {
        reading,             // waiting for a request (keep-alive idle included) or reading one
        responding,          // an answer held in memory is being written
        stream_first_bytes,  // a streamed answer waits for its producer's first bytes: nothing sent
        stream_head,         // the streamed answer's head is being written
        stream_waiting,      // head sent, no write in flight: waiting for the producer
        stream_writing,      // head sent, a chunk (or the last chunk) being written
        lingering,           // our side shut down; what the client still sends is read and dropped
        closed,              // the socket is closed: nothing more happens on it
        handed_over,         // a route owns the stream now: the session must not touch it
    };
    void enter(phase next);
    bool finished() const;   // lingering, closed or handed over: no answer will be written

    // A streamed answer: its head, the serializer writing it, the bytes being written.
    struct streamed_answer {
        // How the body is framed: a property of the answer, fixed before its head is written.
        // raw: the Content-Length is known (a cached file), or the client speaks HTTP/1.0 (no
        // chunked coding: the connection's end ends the body).
        enum class framing { chunked, raw };
        std::shared_ptr<body_stream> body;
        bhttp::response<bhttp::empty_body> head;
        std::optional<bhttp::response_serializer<bhttp::empty_body>> head_serializer;
        std::vector<unsigned char> chunk;
        uint64_t bytes = 0;
        framing frame = framing::chunked;
    };

    boost::beast::tcp_stream stream_;
    boost::asio::any_io_executor executor_;  // the strand: still ours after the stream is handed over
    session_context& context_;
    boost::beast::flat_buffer buffer_;  // at most header_limit bytes: all the framing a parse may hold
    std::unique_ptr<bhttp::request_parser<bhttp::string_body>> parser_;  // handed over on a takeover
    response res_;
    std::optional<bhttp::response<bhttp::empty_body>> head_res_;  // HEAD: the headers of res_ only
    streamed_answer streamed_;
    phase phase_ = phase::reading;
    double first_byte_ms_ = -1;
    std::string peer_;
    std::string method_, target_;
    std::string_view route_ = "unmatched";  // the router's pattern, alive as long as the router
    std::chrono::steady_clock::time_point started_;
    uint64_t registration_ = 0;
    unsigned requests_ = 0;
    uint64_t body_bytes_ = 0;  // what the parser consumed after the head, chunk framing included
    // Facts of the connection, not phases: each is learnt in some phase and read when an answer
    // ends. Over the connection cap at accept: every request gets 503. Last answer: no request
    // is read after the answer under way (the request was refused and the stream is out of step,
    // or the server is draining), whatever the client asked for.
    bool over_capacity_ = false;
    bool last_answer_ = false;
};

}  // namespace timeside::server::http
