// Where a request's body ends, checked before it is read (RFC 9112 §6): a Transfer-Encoding we do
// not implement, or one whose body length we could not know, is answered and the connection
// closed, never read on (its body would be taken for the next request: request smuggling).
#pragma once

#include <optional>
#include <string_view>

#include "server/http/reply.hpp"

namespace timeside::server::http {

// The error to answer a request head with, or nothing when its body can be read: 400 when the
// codings do not end with chunked (or come with Content-Length, or in HTTP/1.0), 501 when a coding
// other than chunked is asked for. Every Transfer-Encoding field counts, as one list.
std::optional<response> transfer_coding_refusal(const request& head);

// The read buffer (header_limit bytes) filled with chunk framing the parser keeps until its end:
// a chunk-size line with its extensions (413), or the trailer section after the last chunk (431).
// `buffered` is what the buffer holds.
response framing_overflow_reply(std::string_view buffered, size_t header_limit);

}  // namespace timeside::server::http
