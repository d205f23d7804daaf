// What a route handler answers: a Beast response with its body in memory, built by the helpers
// below so every JSON answer and every error ({"error", "status"}) looks the same.
#pragma once

#include <stdexcept>
#include <string>

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

response json_reply(status code, const nlohmann::json& body);
// A pre-serialized JSON body (listings cached between requests).
response json_reply(status code, std::string body);
// {"error": message, "status": code}
response error_reply(status code, const std::string& message);

}  // namespace timeside::server::http
