// The reconnect schedule of a push (icecast_push_backoff.hpp).
#include "server/live/icecast_push_backoff.hpp"

#include <algorithm>
#include <memory>
#include <random>

namespace timeside::server::live {

push_backoff::push_backoff(std::chrono::milliseconds first, std::chrono::milliseconds max,
                           std::chrono::milliseconds reset_after, std::function<double()> jitter)
    : first_(first), max_(std::max(first, max)), reset_after_(reset_after), jitter_(std::move(jitter)), current_(first) {
    if (!jitter_) {
        jitter_ = [engine = std::make_shared<std::minstd_rand>(std::random_device{}())] {
            return std::uniform_real_distribution<double>(0.0, 1.0)(*engine);
        };
    }
}

std::chrono::milliseconds push_backoff::next() {
    const auto base = current_;
    current_ = std::min(max_, current_ * 2);
    const double j = std::clamp(jitter_(), 0.0, 0.999999);
    return base - std::chrono::milliseconds(static_cast<int64_t>(static_cast<double>(base.count()) * 0.25 * j));
}

void push_backoff::connected(clock::time_point now) {
    up_ = true;
    connected_at_ = now;
}

void push_backoff::dropped(clock::time_point now) {
    if (up_ && now - connected_at_ >= reset_after_) current_ = first_;
    up_ = false;
}

}  // namespace timeside::server::live
