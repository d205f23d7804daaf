// Transfer-Encoding is a comma-separated list (several fields concatenate, empty elements are
// allowed); codings compare case-insensitively. We decode chunked and nothing else.
#include "server/http/request_framing.hpp"

#include <string>
#include <vector>

#include <boost/beast/core/string.hpp>
#include <fmt/format.h>

#include "core/text.hpp"
#include "core/utf8.hpp"

namespace timeside::server::http {

namespace {

std::string_view trim_ows(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace

std::optional<response> transfer_coding_refusal(const request& head) {
    const auto [first, last] = head.equal_range(bhttp::field::transfer_encoding);
    if (first == last) return std::nullopt;
    std::vector<std::string_view> codings;
    std::string listed;
    for (auto f = first; f != last; ++f) {
        const std::string_view value(f->value().data(), f->value().size());
        if (!is_valid_utf8(value))
            return error_reply(status::bad_request, fmt::format("the Transfer-Encoding header: {}", describe_invalid_utf8(value)));
        if (!listed.empty()) listed += ", ";
        listed += value;
        for (auto piece : split(value, ','))
            if (auto coding = trim_ows(piece); !coding.empty()) codings.push_back(coding);
    }
    if (head.version() < 11)
        return error_reply(status::bad_request,
                           fmt::format("Transfer-Encoding '{}' in an HTTP/1.0 request: transfer codings need HTTP/1.1", listed));
    if (codings.empty() || !boost::beast::iequals(codings.back(), "chunked"))
        return error_reply(status::bad_request,
                           fmt::format("Transfer-Encoding '{}': the last transfer coding must be chunked, else the body's "
                                       "end is unknown (RFC 9112 section 6.3)", listed));
    if (head.find(bhttp::field::content_length) != head.end())
        return error_reply(status::bad_request, "Transfer-Encoding and Content-Length together: send one of them");
    if (codings.size() > 1)
        return error_reply(status::not_implemented,
                           fmt::format("Transfer-Encoding '{}': only chunked is implemented", listed));
    return std::nullopt;
}

response framing_overflow_reply(std::string_view buffered, size_t header_limit) {
    // The CRLF that ends the previous chunk's data is parsed with the next chunk-size line.
    if (buffered.starts_with("\r\n")) buffered.remove_prefix(2);
    if (buffered.find("\r\n") != std::string_view::npos)  // the last chunk's line is done: trailers
        return error_reply(status::request_header_fields_too_large,
                           fmt::format("the chunked body's trailer fields exceed {} bytes (header_limit)", header_limit));
    return error_reply(status::payload_too_large,
                       fmt::format("a chunk-size line of the request body (the size and its extensions) exceeds {} bytes "
                                   "(header_limit)", header_limit));
}

}  // namespace timeside::server::http
