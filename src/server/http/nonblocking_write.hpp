// The write a fan-out connection tries first (a live listener, an events subscriber, a push to an
// Icecast server): what the socket takes now, without a handler or a strand hop; only a socket
// that is full gets the rest through one async_write, from the buffers advanced past what went.
#pragma once

#include <cstddef>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>

namespace timeside::server::http {

// A non-blocking write_some of `buffers`: the bytes written; a full socket is 0 bytes, not an
// error (`ec` is left for real failures: the peer gone).
template <class Socket>
size_t write_now(Socket& socket, const std::vector<boost::asio::const_buffer>& buffers, boost::system::error_code& ec) {
    const size_t n = socket.write_some(buffers, ec);
    if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again) {
        ec = {};
        return 0;
    }
    return n;
}

// Drops the first `n` bytes of `buffers`: the whole buffers they cover, then a prefix of the next.
inline void consume_front(std::vector<boost::asio::const_buffer>& buffers, size_t n) {
    size_t whole = 0;
    while (whole < buffers.size() && n >= buffers[whole].size()) n -= buffers[whole++].size();
    buffers.erase(buffers.begin(), buffers.begin() + static_cast<std::ptrdiff_t>(whole));
    if (n > 0) buffers.front() += n;
}

}  // namespace timeside::server::http
