// One output (an encoding, results, a render) produced on a thread of its own into a file, read
// by any number of HTTP clients while it grows: a client that joins late starts from byte 0 like
// the first, so two requests for the same output share one encode. The file is the cache's
// temporary file (renamed into the cache when the job succeeds) or an unnamed one.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/byte_sink.hpp"
#include "server/http/reply.hpp"

namespace timeside::server::media {

class job : public byte_sink, public std::enable_shared_from_this<job> {
public:
    // `temp`: the file to create (exclusive) and keep until commit; empty: an unnamed file in the
    // system's temporary directory. `keep_without_readers`: the job runs on when its last
    // client leaves (the cache wants the output). Throws job_error if the file cannot be created
    // (the client's message names no path; the detail does).
    job(std::string label, std::filesystem::path temp, bool keep_without_readers);
    ~job() override;  // removes the temporary file unless it was renamed away

    // byte_sink, on the producing thread. commit() and abort() decide nothing: the runner ends
    // the job with finish() once the whole run is over.
    void write(std::span<const unsigned char> chunk, bool is_header) override;
    bool rewrite(uint64_t offset, std::span<const unsigned char> bytes) override;
    bool can_rewrite() const override { return true; }

    // The run is over: readers get what is left, then the end (or `error`, answered with
    // `code` to a client that has no head yet).
    void finish(const std::string& error, http::status code = http::status::internal_server_error);
    // The temporary file now lives elsewhere (renamed into the cache): the destructor leaves it.
    void release_temp() { temp_.clear(); }
    const std::filesystem::path& temp_path() const { return temp_; }

    // A new client: a body_stream over the file from byte 0.
    std::shared_ptr<http::body_stream> add_reader();
    // What the producer polls: set when the last client left and nobody else wants the output.
    const std::atomic<bool>& cancelled() const { return cancelled_; }
    void cancel() noexcept;
    // Cancels it when no client reads it (whatever keep_without_readers says); false otherwise.
    bool cancel_if_unread() noexcept;
    const std::string& label() const { return label_; }

private:
    friend class job_reader;
    struct view {
        uint64_t size;
        bool done;
        std::string error;
        http::status code;
    };
    view state() const;
    uint64_t subscribe(std::function<void()> notify);
    void leave(uint64_t reader) noexcept;
    void notify_all();
    int fd() const { return fd_; }

    const std::string label_;
    std::filesystem::path temp_;
    const bool keep_;
    int fd_ = -1;
    mutable std::mutex mutex_;
    uint64_t size_ = 0;
    bool done_ = false;
    std::string error_;
    http::status code_ = http::status::internal_server_error;
    uint64_t next_reader_ = 1;
    std::map<uint64_t, std::function<void()>> readers_;
    std::atomic<bool> cancelled_{false};
};

}  // namespace timeside::server::media
