// chunked_body: a byte-at-a-time state machine for framing lines, bulk copies for data.
#include "server/live/chunked_body.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace timeside::server::live {

bool chunked_body::fail(std::string why) {
    error_ = std::move(why);
    return false;
}

bool chunked_body::on_size_line() {
    // "1a;ext=x" : hex digits, then optional extensions we ignore.
    size_t i = 0;
    uint64_t size = 0;
    while (i < line_.size() && std::isxdigit(static_cast<unsigned char>(line_[i]))) {
        if (size >> 60) return fail("chunk size too large");
        const char c = line_[i];
        size = size * 16 + static_cast<uint64_t>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
        ++i;
    }
    if (i == 0) return fail(fmt::format("malformed chunk size line '{}'", line_.substr(0, 40)));
    while (i < line_.size() && (line_[i] == ' ' || line_[i] == '\t')) ++i;
    if (i < line_.size() && line_[i] != ';') return fail(fmt::format("malformed chunk size line '{}'", line_.substr(0, 40)));
    remaining_ = size;
    state_ = size == 0 ? state::trailer : state::data;
    return true;
}

bool chunked_body::consume(const unsigned char* data, size_t size, std::vector<unsigned char>& out) {
    if (!error_.empty()) return false;
    if (framing_ == framing::until_close) {
        out.insert(out.end(), data, data + size);
        return true;
    }
    if (framing_ == framing::length) {
        const size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, size));
        out.insert(out.end(), data, data + take);
        remaining_ -= take;
        done_ = remaining_ == 0;
        return true;
    }
    size_t i = 0;
    while (i < size && !done_) {
        if (state_ == state::data) {
            const size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, size - i));
            out.insert(out.end(), data + i, data + i + take);
            i += take;
            remaining_ -= take;
            if (remaining_ == 0) state_ = state::data_crlf;
            continue;
        }
        const char c = static_cast<char>(data[i++]);
        if (c != '\n') {
            if (line_.size() >= max_line_) return fail(fmt::format("a chunk framing line longer than {} bytes", max_line_));
            line_.push_back(c);
            continue;
        }
        if (!line_.empty() && line_.back() == '\r') line_.pop_back();
        std::string line = std::move(line_);
        line_.clear();
        switch (state_) {
            case state::size_line:
                line_ = std::move(line);
                if (!on_size_line()) return false;
                line_.clear();
                break;
            case state::data_crlf:
                if (!line.empty()) return fail("chunk data longer than its size");
                state_ = state::size_line;
                break;
            case state::trailer:
                if (line.empty()) done_ = true;  // trailer fields themselves are ignored
                break;
            case state::data: break;
        }
    }
    return true;
}

}  // namespace timeside::server::live
