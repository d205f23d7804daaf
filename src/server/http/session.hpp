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

    boost::beast::tcp_stream stream_;
    boost::asio::any_io_executor executor_;  // the strand: still ours after the stream is handed over
    session_context& context_;
    boost::beast::flat_buffer buffer_;  // at most header_limit bytes: all the framing a parse may hold
    std::unique_ptr<bhttp::request_parser<bhttp::string_body>> parser_;  // handed over on a takeover
    response res_;
    std::optional<bhttp::response<bhttp::empty_body>> head_res_;  // HEAD: the headers of res_ only
    // A streamed answer: its head (chunked), the serializer writing it, the bytes being written.
    std::shared_ptr<body_stream> body_;
    bhttp::response<bhttp::empty_body> stream_head_;
    std::optional<bhttp::response_serializer<bhttp::empty_body>> head_serializer_;
    std::vector<unsigned char> chunk_;
    uint64_t stream_bytes_ = 0;
    double first_byte_ms_ = -1;
    bool head_sent_ = false;
    bool raw_body_ = false;  // an HTTP/1.0 client: no chunks, the connection's end ends the body
    bool chunk_in_flight_ = false;
    std::string peer_;
    std::string method_, target_;
    std::string_view route_ = "unmatched";  // the router's pattern, alive as long as the router
    std::chrono::steady_clock::time_point started_;
    uint64_t registration_ = 0;
    unsigned requests_ = 0;
    uint64_t body_bytes_ = 0;  // what the parser consumed after the head, chunk framing included
    bool over_capacity_ = false;
    bool draining_ = false;  // finish what is in flight, then close
    bool writing_ = false;
    bool closed_ = false;
};

}  // namespace timeside::server::http
