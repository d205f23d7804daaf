// Answers for a complete file (a cached output): Content-Length, a strong ETag, Accept-Ranges;
// 304 for a matching If-None-Match, 206 with Content-Range for one satisfiable Range (honouring
// If-Range), 416 for an unsatisfiable one. The body is read from the open descriptor as it is
// sent, so memory stays at one chunk whatever the file's size.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "server/http/reply.hpp"

namespace timeside::server::http {

struct byte_range {
    uint64_t first = 0;
    uint64_t last = 0;  // inclusive
};

// RFC 9110 14.2 for one range of a `size`-byte representation. nullopt: no usable Range (absent,
// malformed, several ranges, not bytes): send the whole file. A range past the end gives
// {first > last} (416).
std::optional<byte_range> parse_range(std::string_view header, uint64_t size);
// Whether an If-None-Match header value matches `etag` (weak comparison, `*` matches).
bool etag_matches(std::string_view header, std::string_view etag);

// The answer to `req` for an open file. `owner` keeps `fd` open while the body is sent.
reply file_reply(const request& req, std::shared_ptr<const void> owner, int fd, uint64_t size,
                 const std::string& etag, const std::string& content_type);

}  // namespace timeside::server::http
