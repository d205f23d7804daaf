// One mutex, one condition variable: writes wait for space, take() makes space. Notifications
// go out only when the session would otherwise not look (pending went from empty to non-empty,
// or the stream closed), outside the lock.
#include "server/media/stream_sink.hpp"

#include "core/errors.hpp"

namespace timeside::server::media {

void stream_sink::write(std::span<const unsigned char> chunk, bool) {
    std::unique_lock lock(mutex_);
    space_.wait(lock, [&] { return cancelled_ || pending_.size() < max_buffered_; });
    if (cancelled_) throw cancelled_error();
    const bool was_empty = pending_.empty();
    pending_.insert(pending_.end(), chunk.begin(), chunk.end());
    written_ += chunk.size();
    if (was_empty && !chunk.empty()) notify_locked(lock);
}

void stream_sink::close(const std::string& error) {
    std::unique_lock lock(mutex_);
    closed_ = true;
    error_ = error;
    notify_locked(lock);
}

void stream_sink::notify_locked(std::unique_lock<std::mutex>& lock) {
    auto notify = notify_;
    lock.unlock();
    if (notify) notify();
}

void stream_sink::set_notify(std::function<void()> notify) {
    std::unique_lock lock(mutex_);
    notify_ = std::move(notify);
    if (!pending_.empty() || closed_) notify_locked(lock);
}

http::body_stream::state stream_sink::take(std::vector<unsigned char>& out, std::string& error) {
    std::lock_guard lock(mutex_);
    if (!pending_.empty()) {
        out.clear();
        out.swap(pending_);
        space_.notify_all();
        return state::data;
    }
    if (!closed_) return state::pending;
    if (!error_.empty()) {
        error = error_;
        return state::error;
    }
    return state::end;
}

void stream_sink::cancel() noexcept {
    {
        std::lock_guard lock(mutex_);
        cancelled_ = true;
        notify_ = nullptr;  // nobody listens any more
    }
    space_.notify_all();
}

uint64_t stream_sink::bytes_written() const {
    std::lock_guard lock(mutex_);
    return written_;
}

}  // namespace timeside::server::media
