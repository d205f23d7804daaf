// The body is a body_stream over the descriptor with a Content-Length, which the session sends
// unchunked; HEAD gets the same headers.
#include "server/http/file_reply.hpp"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <vector>

#include <fmt/format.h>

namespace timeside::server::http {

namespace {

constexpr uint64_t chunk_bytes = 1 << 20;

class file_stream : public body_stream {
public:
    file_stream(std::shared_ptr<const void> owner, int fd, uint64_t offset, uint64_t length)
        : owner_(std::move(owner)), fd_(fd), offset_(offset), end_(offset + length) {}

    void set_notify(std::function<void()> notify) override {
        if (notify) notify();  // everything is there already
    }

    state take(std::vector<unsigned char>& out, std::string& error) override {
        if (offset_ >= end_) return state::end;
        const size_t n = static_cast<size_t>(std::min(end_ - offset_, chunk_bytes));
        out.resize(n);
        const ssize_t got = ::pread(fd_, out.data(), n, static_cast<off_t>(offset_));
        if (got <= 0) {
            out.clear();
            error = got == 0 ? std::string("the cached file is shorter than its size")
                             : fmt::format("cannot read the cached file: {}", std::strerror(errno));
            return state::error;
        }
        out.resize(static_cast<size_t>(got));
        offset_ += static_cast<uint64_t>(got);
        return state::data;
    }

    void cancel() noexcept override {}

private:
    std::shared_ptr<const void> owner_;
    int fd_;
    uint64_t offset_;
    uint64_t end_;
};

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::optional<uint64_t> number(std::string_view s) {
    uint64_t v = 0;
    if (s.empty()) return std::nullopt;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
    return v;
}

std::string_view opaque(std::string_view tag) {
    tag = trim(tag);
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    return tag;
}

}  // namespace

std::optional<byte_range> parse_range(std::string_view header, uint64_t size) {
    header = trim(header);
    if (!header.starts_with("bytes=")) return std::nullopt;
    std::string_view spec = trim(header.substr(6));
    if (spec.find(',') != std::string_view::npos) return std::nullopt;  // one range or the whole file
    const size_t dash = spec.find('-');
    if (dash == std::string_view::npos) return std::nullopt;
    const auto first = trim(spec.substr(0, dash)), last = trim(spec.substr(dash + 1));
    if (first.empty()) {  // "-N": the last N bytes
        auto n = number(last);
        if (!n) return std::nullopt;
        if (*n == 0 || size == 0) return byte_range{1, 0};
        return byte_range{size - std::min(*n, size), size - 1};
    }
    auto a = number(first);
    if (!a) return std::nullopt;
    uint64_t b = size == 0 ? 0 : size - 1;
    if (!last.empty()) {
        auto l = number(last);
        if (!l || *l < *a) return std::nullopt;
        b = std::min(*l, b);
    }
    if (*a >= size) return byte_range{1, 0};
    return byte_range{*a, b};
}

bool etag_matches(std::string_view header, std::string_view etag) {
    if (trim(header) == "*") return true;
    size_t at = 0;
    while (at <= header.size()) {
        const size_t comma = header.find(',', at);
        const auto tag = header.substr(at, comma == std::string_view::npos ? std::string_view::npos : comma - at);
        if (opaque(tag) == opaque(etag)) return true;
        if (comma == std::string_view::npos) break;
        at = comma + 1;
    }
    return false;
}

reply file_reply(const request& req, std::shared_ptr<const void> owner, int fd, uint64_t size,
                 const std::string& etag, const std::string& content_type) {
    auto base = [&](status code) {
        response res{code, 11};
        res.set(bhttp::field::etag, etag);
        res.set(bhttp::field::accept_ranges, "bytes");
        // The URL may name other bytes tomorrow (the source changed): revalidate, cheaply (304).
        res.set(bhttp::field::cache_control, "no-cache");
        return res;
    };
    if (auto inm = req.find(bhttp::field::if_none_match); inm != req.end() && etag_matches(inm->value(), etag))
        return base(status::not_modified);

    std::optional<byte_range> range;
    if (auto r = req.find(bhttp::field::range); r != req.end()) {
        range = parse_range(r->value(), size);
        // If-Range: the range only if the client's copy is still this one (strong comparison).
        if (auto ir = req.find(bhttp::field::if_range); range && ir != req.end() && trim(ir->value()) != etag)
            range.reset();
    }
    if (range && range->first > range->last) {
        auto res = error_reply(status::range_not_satisfiable,
                               fmt::format("Range: nothing to send of a {}-byte file", size));
        res.set(bhttp::field::content_range, fmt::format("bytes */{}", size));
        res.set(bhttp::field::accept_ranges, "bytes");
        return res;
    }
    const uint64_t first = range ? range->first : 0;
    const uint64_t length = range ? range->last - range->first + 1 : size;
    response res = base(range ? status::partial_content : status::ok);
    res.set(bhttp::field::content_type, content_type);
    if (range) res.set(bhttp::field::content_range, fmt::format("bytes {}-{}/{}", range->first, range->last, size));
    res.content_length(length);
    return reply(std::move(res), std::make_shared<file_stream>(std::move(owner), fd, first, length));
}

}  // namespace timeside::server::http
