// The notification is called outside the lock: it posts to the session's strand, which calls
// take() and would otherwise wait on the lock held by the thread that completed the body.
#include "server/http/deferred_body.hpp"

namespace timeside::server::http {

void deferred_body::complete(std::string body) {
    std::function<void()> notify;
    {
        std::lock_guard lock(mutex_);
        if (state_ != state::pending) return;
        body_ = std::move(body);
        state_ = state::data;
        notify = notify_;
    }
    if (notify) notify();
}

void deferred_body::fail(status code, std::string message) {
    std::function<void()> notify;
    {
        std::lock_guard lock(mutex_);
        if (state_ != state::pending) return;
        body_ = std::move(message);
        error_status_ = code;
        state_ = state::error;
        notify = notify_;
    }
    if (notify) notify();
}

void deferred_body::set_notify(std::function<void()> notify) {
    std::function<void()> now;
    {
        std::lock_guard lock(mutex_);
        notify_ = std::move(notify);
        if (state_ != state::pending) now = notify_;
    }
    if (now) now();
}

body_stream::state deferred_body::take(std::vector<unsigned char>& out, std::string& error) {
    std::lock_guard lock(mutex_);
    switch (state_) {
        case state::data:
            out.insert(out.end(), body_.begin(), body_.end());
            body_.clear();
            state_ = state::end;
            return state::data;
        case state::error:
            error = body_;
            return state::error;
        default:
            return state_;
    }
}

status deferred_body::error_status() const {
    std::lock_guard lock(mutex_);
    return error_status_;
}

}  // namespace timeside::server::http
