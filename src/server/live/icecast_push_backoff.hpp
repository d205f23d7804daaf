// The push's reconnect schedule: the first retry after `first` (1 s), doubling up to `max`
// (60 s), each delay jittered down by up to a quarter (so relays restarted together do not come
// back in step), reset once a connection lasted `reset_after` (a minute).
#pragma once

#include <chrono>
#include <functional>

namespace timeside::server::live {

class push_backoff {
public:
    using clock = std::chrono::steady_clock;
    // `jitter` returns a number in [0, 1): the share of a quarter of the delay taken off.
    explicit push_backoff(std::chrono::milliseconds first = std::chrono::seconds(1),
                          std::chrono::milliseconds max = std::chrono::seconds(60),
                          std::chrono::milliseconds reset_after = std::chrono::seconds(60),
                          std::function<double()> jitter = nullptr);

    // The delay before the next attempt, after a failure or a drop; doubles the next one.
    std::chrono::milliseconds next();
    // A connection is up at `now`.
    void connected(clock::time_point now);
    // The connection that was up went down at `now`: one that lasted reset_after resets the schedule.
    void dropped(clock::time_point now);
    // The delay next() would start from (no jitter), for status and tests.
    std::chrono::milliseconds current() const { return current_; }

private:
    const std::chrono::milliseconds first_, max_, reset_after_;
    std::function<double()> jitter_;
    std::chrono::milliseconds current_;
    clock::time_point connected_at_{};
    bool up_ = false;
};

}  // namespace timeside::server::live
