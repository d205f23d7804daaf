// A request body's transfer framing, undone as the bytes arrive: chunked (RFC 9112 §7.1: size
// lines with extensions, data, trailers), a Content-Length, or identity until the connection
// closes (ffmpeg's and libshout's never-ending source bodies). Bounded: a size line or a trailer
// line longer than max_line is an error; nothing is buffered beyond the current line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace timeside::server::live {

class chunked_body {
public:
    enum class framing { chunked, length, until_close };
    explicit chunked_body(framing f, uint64_t content_length = 0, size_t max_line = 4096)
        : framing_(f), remaining_(content_length), max_line_(max_line), done_(f == framing::length && content_length == 0) {}

    // Appends the payload in [data, data + size) to `out`; returns false on malformed framing
    // (error() says what). Bytes after the body's end are ignored.
    bool consume(const unsigned char* data, size_t size, std::vector<unsigned char>& out);
    // The body is complete (the last chunk and trailers, or Content-Length bytes).
    bool done() const { return done_; }
    const std::string& error() const { return error_; }

private:
    enum class state { size_line, data, data_crlf, trailer };
    bool fail(std::string why);
    bool on_size_line();

    framing framing_;
    uint64_t remaining_;  // length: body bytes left; chunked: the current chunk's bytes left
    size_t max_line_;
    state state_ = state::size_line;
    std::string line_;
    bool done_;
    std::string error_;
};

}  // namespace timeside::server::live
