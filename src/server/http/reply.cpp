// JSON responses and errors. Bodies end with a newline so that curl output reads well. Every dump
// replaces bytes that are not UTF-8 (U+FFFD) instead of throwing: the router refuses such input,
// this is the last defence for a string that reached a message some other way.
#include "server/http/reply.hpp"

#include <nlohmann/json.hpp>

namespace timeside::server::http {

boost::asio::ip::tcp::socket take_socket(taken_connection& taken, const boost::asio::any_io_executor& executor) {
    taken.stream.expires_never();
    boost::asio::ip::tcp::socket from = taken.stream.release_socket();
    boost::asio::ip::tcp::socket to(executor);
    boost::system::error_code ec;
    const auto local = from.local_endpoint(ec);
    if (!ec) {
        const auto fd = from.release(ec);
        if (!ec) to.assign(local.protocol(), fd, ec);
    }
    return to;
}

namespace {
constexpr auto replace_invalid = nlohmann::json::error_handler_t::replace;
}

response json_reply(status code, std::string body) {
    response res{code, 11};
    res.set(bhttp::field::content_type, "application/json");
    res.body() = std::move(body);
    res.body() += '\n';
    res.prepare_payload();
    return res;
}

std::string json_text(const nlohmann::json& body) { return body.dump(2, ' ', false, replace_invalid) + '\n'; }

response json_reply(status code, const nlohmann::json& body) { return json_reply(code, body.dump(2, ' ', false, replace_invalid)); }

response error_reply(status code, const std::string& message) {
    return json_reply(code, nlohmann::json{{"error", message}, {"status", static_cast<int>(code)}}.dump(-1, ' ', false, replace_invalid));
}

}  // namespace timeside::server::http
