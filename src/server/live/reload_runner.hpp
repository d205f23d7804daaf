// Reloads of the streams folder on a thread of their own, one at a time, whoever asks (SIGHUP, the
// folder's watch, POST /admin/api/reload): starting mounts prerolls GStreamer pipelines, which must
// not hold a network thread. Requests made while a reload runs are served by one more reload after
// it, so every caller's answer comes from a reload that read the folder after it asked.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "server/live/mount_set.hpp"

namespace timeside::server::live {

class reload_runner {
public:
    // The report of a reload; nullopt when the runner stopped before running it (shutdown).
    using done_fn = std::function<void(const std::optional<reload_report>&)>;

    explicit reload_runner(std::function<reload_report()> reload);
    ~reload_runner();  // stop()
    reload_runner(const reload_runner&) = delete;
    reload_runner& operator=(const reload_runner&) = delete;

    // Asks for a reload; `done` (may be empty) is called on the runner's thread with its report.
    void request(done_fn done = {});
    // Lets a reload in progress finish, answers the pending requests with nullopt, joins the thread.
    void stop() noexcept;
    // Reloads run so far (requests coalesced into one count once).
    uint64_t runs() const;
    // Whether stop() has begun: requests from then on are answered with nullopt at once.
    bool stopped() const;

private:
    void run();

    std::function<reload_report()> reload_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    bool wanted_ = false, stopping_ = false;
    std::vector<done_fn> waiting_;  // the callers the next reload answers
    uint64_t runs_ = 0;
    std::thread thread_;
};

}  // namespace timeside::server::live
