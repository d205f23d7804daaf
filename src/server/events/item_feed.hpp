// An on-demand item's analysis as an event feed (GET /events/items/{id}?processors=): the results
// job that computes it (the results route's: same key, cache entry, job cap and cancellation),
// its analyzers' event sinks publishing into an event hub of the run's own, so the mounts'
// WebSocket and SSE sessions serve it unchanged. Progress and the final `end` are hub messages.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/analysis_routes.hpp"
#include "server/events/event_hub.hpp"

namespace timeside::server::events {

// What the feed says about its item before the analyzers are set up, and where the stored
// results are served once it ends.
struct item_feed_info {
    std::string item_id;
    int samplerate = 0, channels = 0;
    double duration = -1;     // seconds; -1 unknown
    std::string results_url;  // /api/items/{id}/results?processors=...&format=json
};

// Progress messages are published at most this often (wall time), and once more at the end.
inline constexpr std::chrono::milliseconds progress_interval{100};

// {"type":"progress","seq","frame","t","fraction","total_frames"}: the frames analysed so far;
// fraction of the item (null while its length is unknown).
message_ptr make_progress_message(uint64_t seq, int64_t frames, int64_t total_frames, int samplerate,
                                  std::chrono::steady_clock::time_point made);
// {"type":"end","seq","outcome","frame","t",("results","url") | ("error")}: the feed's last message
// (its `closing` is "end": the sessions close after it, 1000 for WebSocket). outcome: complete |
// failed | refused | cancelled.
message_ptr make_end_message(uint64_t seq, const std::string& outcome, const std::string& error,
                             int64_t frames, int samplerate, const std::vector<std::string>& result_ids,
                             const std::string& results_url, std::chrono::steady_clock::time_point made);

class item_run : public std::enable_shared_from_this<item_run> {
public:
    item_run(std::string key, item_feed_info info, event_hub_settings settings);

    const std::string& key() const { return key_; }
    const std::shared_ptr<event_hub>& hub() const { return hub_; }
    const item_feed_info& info() const { return info_; }

    // The job's side, on its thread: the pipe built (event sinks on its results' analyzers), set
    // up (the catalog: subscribers waiting for it start), each block, and the outcome.
    void on_pipe(pipe& p);
    void on_setup();
    void on_progress(int64_t frames, int64_t total);
    void on_outcome(const std::string& outcome, const std::string& error);

    // A subscriber's place (the hub's, under the server's subscriber cap), taking framewise values
    // at `rate` from now on (in binary columns too with `columns`) whenever its session attaches;
    // when the last place is released before the end, the run's `cancel` is called. Any thread.
    event_hub::join_result join(int rate, bool columns);
    // Runs `start` once the hello can name the analyzers (at once if it can), or when the run
    // ended before its setup (a decode that failed to open).
    void when_ready(std::function<void()> start);
    // How the run is cancelled when its last subscriber leaves; `reader` the job's output stream
    // held meanwhile (the job runs on without readers only when the cache wants its output).
    void set_job(std::shared_ptr<http::body_stream> reader, std::function<void()> cancel);
    // "running", then the outcome: "complete", "failed", "refused", "cancelled".
    std::string state() const;
    unsigned subscribers() const;

private:
    void leave();
    void cancel_locked(std::unique_lock<std::mutex>& lock);

    const std::string key_;
    const item_feed_info info_;
    const std::shared_ptr<event_hub> hub_;
    std::vector<std::shared_ptr<analyzer>> analyzers_;  // the results' (job thread until setup)
    std::vector<std::string> result_ids_;
    std::atomic<int64_t> frames_{0};
    std::chrono::steady_clock::time_point last_progress_{};  // job thread only

    mutable std::mutex mutex_;
    bool ready_ = false;
    std::string state_ = "running";
    std::vector<std::function<void()>> pending_;
    unsigned subscribers_ = 0;
    std::shared_ptr<http::body_stream> reader_;
    std::function<void()> cancel_;
};

// The server's item runs in progress, by results key: a request for a running one shares it.
class item_feeds {
public:
    item_feeds(media::job_runner& jobs, std::shared_ptr<subscriber_budget> budget,
               uint64_t max_result_values);

    struct run_result {
        std::shared_ptr<item_run> run;
        std::shared_ptr<event_hub::place> slot;  // the subscriber's place in it
        int status = 0;                           // no place: 429 (the job cap) or 503
        std::string refusal, retry_after;
    };
    // A place in the run computing `plan` (a JSON results plan) for a subscriber at `rate`: the
    // run going on, else a new one, joined before its job starts (its first values are decimated
    // for that rate too), as the results job with the feed's hooks.
    run_result join_run(const results_plan& plan, item_feed_info info, int rate, bool columns);

private:
    media::job_runner& jobs_;
    const std::shared_ptr<subscriber_budget> budget_;
    const uint64_t max_result_values_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, std::weak_ptr<item_run>> runs_;
};

}  // namespace timeside::server::events
