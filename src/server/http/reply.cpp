// JSON responses and errors. Bodies end with a newline so that curl output reads well.
#include "server/http/reply.hpp"

#include <nlohmann/json.hpp>

namespace timeside::server::http {

response json_reply(status code, std::string body) {
    response res{code, 11};
    res.set(bhttp::field::content_type, "application/json");
    res.body() = std::move(body);
    res.body() += '\n';
    res.prepare_payload();
    return res;
}

response json_reply(status code, const nlohmann::json& body) { return json_reply(code, body.dump(2)); }

response error_reply(status code, const std::string& message) {
    return json_reply(code, nlohmann::json{{"error", message}, {"status", static_cast<int>(code)}}.dump());
}

}  // namespace timeside::server::http
