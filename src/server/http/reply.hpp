// What a route handler answers: a Beast response with its body in memory, built by the helpers
// below so every JSON answer and every error ({"error", "status"}) looks the same, or a response
// head with a body_stream that the session sends chunked as the bytes are produced.
#pragma once

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/beast/http/message.hpp>
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
// The session takes what is there when notified; the producer waits while the session has not
// taken enough (backpressure from the socket back to the encoder).
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

// A handler's answer: `res` alone, or `res`'s head followed by `stream` sent chunked (for GET;
// HEAD gets the head only and the stream is cancelled).
struct reply {
    reply(response r) : res(std::move(r)) {}  // NOLINT: handlers return plain responses
    reply(response r, std::shared_ptr<body_stream> s) : res(std::move(r)), stream(std::move(s)) {}
    response res;
    std::shared_ptr<body_stream> stream;
};

response json_reply(status code, const nlohmann::json& body);
// A pre-serialized JSON body (listings cached between requests).
response json_reply(status code, std::string body);
// {"error": message, "status": code}
response error_reply(status code, const std::string& message);

}  // namespace timeside::server::http
