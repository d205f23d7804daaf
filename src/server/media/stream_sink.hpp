// The byte sink an encode writes to when its bytes go straight to an HTTP client: the encoder's
// thread appends, the session takes. At most `max_buffered` bytes wait: beyond, write() blocks
// until the session has taken them (so a slow client slows the encode, not memory), and a
// cancel() (the client left) makes the blocked or next write throw cancelled_error.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>

#include "core/byte_sink.hpp"
#include "server/http/reply.hpp"

namespace timeside::server::media {

class stream_sink : public byte_sink, public http::body_stream {
public:
    explicit stream_sink(size_t max_buffered = 256 * 1024) : max_buffered_(max_buffered) {}

    // byte_sink, on the encoding thread. The encoder's commit() and abort() decide nothing: the
    // job calls close() once the whole run has ended, with its error if it failed.
    void write(std::span<const unsigned char> chunk, bool is_header) override;
    void close(const std::string& error = {});

    // body_stream, on the session's strand.
    void set_notify(std::function<void()> notify) override;
    state take(std::vector<unsigned char>& out, std::string& error) override;
    void cancel() noexcept override;

    // What the pipe polls between blocks.
    const std::atomic<bool>& cancelled() const { return cancelled_; }
    uint64_t bytes_written() const;

private:
    void notify_locked(std::unique_lock<std::mutex>& lock);

    const size_t max_buffered_;
    mutable std::mutex mutex_;
    std::condition_variable space_;
    std::vector<unsigned char> pending_;
    std::function<void()> notify_;
    std::string error_;
    uint64_t written_ = 0;
    bool closed_ = false;
    std::atomic<bool> cancelled_{false};
};

}  // namespace timeside::server::media
