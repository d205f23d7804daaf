// What a route handler answers: a Beast response with its body in memory, built by the helpers
// below so every JSON answer and every error ({"error", "status"}) looks the same; a response
// head with a body_stream that the session sends chunked as the bytes are produced; or a takeover:
// the route takes the connection itself (an Icecast listener's raw body, a source's ingest read as
// a stream, a WebSocket upgrade), as Beast's advanced server hands its stream to a websocket_session.
#pragma once

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <nlohmann/json_fwd.hpp>

namespace timeside::server::http {

namespace bhttp = boost::beast::http;
using status = bhttp::status;
using request = bhttp::request<bhttp::string_body>;
using response = bhttp::response<bhttp::string_body>;

// Thrown by handlers to answer with an error; the router turns it into error_reply().
class http_error : public std::runtime_error {
public:
    http_error(status code, const std::string& message) : std::runtime_error(message), code_(code) {}
    status code() const { return code_; }

private:
    status code_;
};

// Bytes produced elsewhere (an encode on its own thread) for a session to send as they come.
// Neither side waits for the other: the producer (a media job) writes its file at its own pace
// and notifies; each session takes, from its own offset, what is there once its write in flight
// completes. A slow client costs no memory and never slows the encode or the other clients.
class body_stream {
public:
    enum class state { pending, data, end, error };
    virtual ~body_stream() = default;
    // `notify` may be called from any thread whenever take() would return something new; it is
    // called at once if something is already there.
    virtual void set_notify(std::function<void()> notify) = 0;
    // Moves every byte available into `out` (data); end once everything was taken; error with
    // its message when the producer failed.
    virtual state take(std::vector<unsigned char>& out, std::string& error) = 0;
    // The client went away: the producer stops at its next write.
    virtual void cancel() noexcept = 0;
    // The status of an error take() reported, when the head is not sent yet: 500 unless the
    // producer refused the request itself (400: it asked for more than the server allows).
    virtual status error_status() const { return status::internal_server_error; }
};

// A connection handed over by its session. The session wrote nothing on it; its timers are off.
// `buffer` holds what was read past what the parser consumed (for a route that streams its body:
// the first body bytes, raw, chunk framing included). `parser` has read the head; for a
// streamed-body route it has read nothing of the body, so a new owner may continue with another
// body type (`request_parser<buffer_body> p(std::move(*parser))`).
struct taken_connection {
    boost::beast::tcp_stream stream;
    boost::beast::flat_buffer buffer;
    std::unique_ptr<bhttp::request_parser<bhttp::string_body>> parser;
    std::string peer;  // "address:port", for logs
};
using takeover_handler = std::function<void(taken_connection&&)>;

// The taken connection's socket, moved onto `executor` (a shard's strand) as a plain socket. Its
// stream's timers are stopped first: a pending timer wait would keep the stream's state allocated
// until its deadline. The socket comes back closed when the connection was already gone (the
// new owner's first write then reports it).
boost::asio::ip::tcp::socket take_socket(taken_connection& taken, const boost::asio::any_io_executor& executor);

// A handler's answer: `res` alone, or `res`'s head followed by `stream` sent chunked (for GET;
// HEAD gets the head only and the stream is cancelled), or `takeover`: called on the
// connection's strand with the connection, which the session no longer touches (`res` then only
// gives the status counted in the metrics and the session's log line).
struct reply {
    reply(response r) : res(std::move(r)) {}  // NOLINT: handlers return plain responses
    reply(response r, std::shared_ptr<body_stream> s) : res(std::move(r)), stream(std::move(s)) {}
    static reply take_over(takeover_handler h, status counted = status::ok) {
        reply r{response{counted, 11}};
        r.takeover = std::move(h);
        return r;
    }
    response res;
    std::shared_ptr<body_stream> stream;
    takeover_handler takeover;
};

response json_reply(status code, const nlohmann::json& body);
// A pre-serialized JSON body (listings cached between requests).
response json_reply(status code, std::string body);
// A JSON body as json_reply writes it (indented, invalid UTF-8 from outside replaced, never
// thrown on), for answers sent some other way (a deferred body).
std::string json_text(const nlohmann::json& body);
// {"error": message, "status": code}
response error_reply(status code, const std::string& message);

}  // namespace timeside::server::http
