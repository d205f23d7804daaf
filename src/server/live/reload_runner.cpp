// The callers' callbacks run outside the lock (one may ask for another reload). A reload or a
// callback that throws (neither should: mount_set keeps a bad file's error for /api/streams) is
// logged, and the reload's callers get nullopt, rather than a thread that dies.
#include "server/live/reload_runner.hpp"

#include "server/log.hpp"

namespace timeside::server::live {

namespace {

// A caller's callback must not end the reload thread (nor the process: this runs outside any
// handler that would catch it): what it throws is logged.
void answer(const reload_runner::done_fn& done, const std::optional<reload_report>& report) noexcept {
    try {
        done(report);
    } catch (const std::exception& e) {
        log(log_level::error, "streams_reload_answer_failed", {{"error", e.what()}});
    }
}

}  // namespace

reload_runner::reload_runner(std::function<reload_report()> reload)
    : reload_(std::move(reload)), thread_([this] { run(); }) {}

reload_runner::~reload_runner() { stop(); }

void reload_runner::request(done_fn done) {
    {
        std::lock_guard lock(mutex_);
        if (!stopping_) {
            wanted_ = true;
            if (done) waiting_.push_back(std::move(done));
            wake_.notify_one();
            return;
        }
    }
    if (done) answer(done, std::nullopt);  // stopped: no reload will run
}

void reload_runner::stop() noexcept {
    std::vector<done_fn> unanswered;
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        stopping_ = true;
        wake_.notify_one();
    }
    if (thread_.joinable()) thread_.join();
    {
        std::lock_guard lock(mutex_);
        unanswered.swap(waiting_);
    }
    for (auto& done : unanswered) answer(done, std::nullopt);
}

uint64_t reload_runner::runs() const {
    std::lock_guard lock(mutex_);
    return runs_;
}

bool reload_runner::stopped() const {
    std::lock_guard lock(mutex_);
    return stopping_;
}

void reload_runner::run() {
    for (;;) {
        std::vector<done_fn> callers;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return wanted_ || stopping_; });
            if (stopping_) return;
            wanted_ = false;
            callers.swap(waiting_);
            ++runs_;
        }
        std::optional<reload_report> report;
        try {
            report = reload_();
        } catch (const std::exception& e) {
            log(log_level::error, "streams_reload_failed", {{"error", e.what()}});
        }
        for (auto& done : callers) answer(done, report);
    }
}

}  // namespace timeside::server::live
