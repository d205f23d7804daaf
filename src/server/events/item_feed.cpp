// The run's hub is a mount's hub with three differences in its settings: subscribers start from
// the ring's oldest message (from_start), the ring is bounded by its size only (no wall-clock age:
// a run computes minutes of audio in seconds), and no lag check lowers a late reader's rate (it
// reads the ring at its own pace; one that falls off the ring's start is closed with 1008).
#include "server/events/item_feed.hpp"

#include <algorithm>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/pipe.hpp"

namespace timeside::server::events {

using clock = std::chrono::steady_clock;
using ordered = nlohmann::ordered_json;

namespace {

double seconds(int64_t frames, int samplerate) {
    return samplerate > 0 ? static_cast<double>(frames) / samplerate : 0.0;
}

message_ptr finish_message(uint64_t seq, const ordered& j, clock::time_point made, std::string closing = {}) {
    return make_text_message(seq, j.dump(), made, {}, 0, std::move(closing));
}

}  // namespace

message_ptr make_progress_message(uint64_t seq, int64_t frames, int64_t total_frames, int samplerate,
                                  clock::time_point made) {
    ordered j{{"type", "progress"}, {"seq", seq}, {"frame", frames}, {"t", seconds(frames, samplerate)}};
    j["fraction"] =
        total_frames > 0
            ? ordered(std::min(1.0, static_cast<double>(frames) / static_cast<double>(total_frames)))
            : ordered(nullptr);
    j["total_frames"] = total_frames > 0 ? ordered(total_frames) : ordered(nullptr);
    return finish_message(seq, j, made);
}

message_ptr make_end_message(uint64_t seq, const std::string& outcome, const std::string& error,
                             int64_t frames, int samplerate, const std::vector<std::string>& result_ids,
                             const std::string& results_url, clock::time_point made) {
    ordered j{{"type", "end"},
              {"seq", seq},
              {"outcome", outcome},
              {"frame", frames},
              {"t", seconds(frames, samplerate)}};
    if (outcome == "complete") {
        j["results"] = result_ids;
        j["url"] = results_url;
    } else {
        j["error"] = error;
    }
    return finish_message(seq, j, made, "end");
}

item_run::item_run(std::string key, item_feed_info info, event_hub_settings settings)
    : key_(std::move(key)), info_(std::move(info)), hub_(std::make_shared<event_hub>(std::move(settings))) {
    // Until the analyzers are set up the hello can still name the item.
    hub_->set_catalog(make_item_catalog(info_.item_id, info_.samplerate, info_.channels, info_.duration, {}));
}

void item_run::on_pipe(pipe& p) {
    analyzers_ = p.result_analyzers();
    for (const auto& a : analyzers_)
        a->set_event_sink([hub = hub_](const analysis_event& e) { hub->publish(e); });
}

void item_run::on_setup() {
    hub_->set_catalog(
        make_item_catalog(info_.item_id, info_.samplerate, info_.channels, info_.duration, analyzers_));
    for (const auto& a : analyzers_)
        for (const auto& r : a->results()) result_ids_.push_back(r.id.id);
    std::vector<std::function<void()>> start;
    {
        std::lock_guard lock(mutex_);
        ready_ = true;
        start.swap(pending_);
    }
    for (auto& s : start) s();
}

void item_run::on_progress(int64_t frames, int64_t total) {
    frames_.store(frames, std::memory_order_relaxed);
    hub_->tick(frames);
    const auto now = clock::now();
    if (now - last_progress_ < progress_interval) return;
    last_progress_ = now;
    const int rate = info_.samplerate;
    hub_->publish([=](uint64_t seq, clock::time_point made) {
        return make_progress_message(seq, frames, total, rate, made);
    });
}

void item_run::on_outcome(const std::string& outcome, const std::string& error) {
    const std::string said = outcome == "done" ? "complete" : outcome;
    const int64_t frames = frames_.load(std::memory_order_relaxed);
    const int rate = info_.samplerate;
    if (said == "complete")
        hub_->publish([=](uint64_t seq, clock::time_point made) {
            return make_progress_message(seq, frames, frames, rate, made);
        });
    hub_->finish([&](uint64_t seq, clock::time_point made) {
        return make_end_message(seq, said, error, frames, rate, result_ids_, info_.results_url, made);
    });
    std::vector<std::function<void()>> start;
    {
        std::lock_guard lock(mutex_);
        state_ = said;
        ready_ = true;
        start.swap(pending_);
        reader_.reset();
        cancel_ = nullptr;
    }
    for (auto& s : start) s();
}

namespace {
// Keeps a rate's decimator running for a subscriber whose session has not attached yet.
struct rate_hold : feed_reader {
    void on_messages() override {}
    void on_behind() override {}
    void on_rate_changed(int, bool) override {}
    void on_hub_closed(message_ptr) override {}
};
}  // namespace

event_hub::join_result item_run::join(int rate, bool columns) {
    auto joined = hub_->try_join();
    if (!joined.slot) return joined;
    {
        std::lock_guard lock(mutex_);
        ++subscribers_;
    }
    auto hold = std::make_shared<rate_hold>();
    std::optional<resume_info> unused;
    hub_->attach(hold, rate, columns, std::nullopt, unused);
    // The hub's place, released as usual, and then the run told: its last subscriber may be gone.
    auto slot = std::move(joined.slot);
    event_hub::place* raw = slot.get();
    joined.slot = std::shared_ptr<event_hub::place>(
        raw, [slot = std::move(slot), hold = std::move(hold), self = shared_from_this()](event_hub::place*) mutable {
            self->hub_->detach(hold.get());
            slot.reset();
            self->leave();
        });
    return joined;
}

void item_run::when_ready(std::function<void()> start) {
    {
        std::lock_guard lock(mutex_);
        if (!ready_) {
            pending_.push_back(std::move(start));
            return;
        }
    }
    start();
}

void item_run::set_job(std::shared_ptr<http::body_stream> reader, std::function<void()> cancel) {
    // The run's own reader of the job's output counts as a client while subscribers watch, so a
    // results request leaving does not stop the run under them (an uncached job stops then).
    if (reader) reader->set_notify([] {});
    std::lock_guard lock(mutex_);
    if (state_ != "running") return;
    reader_ = std::move(reader);
    cancel_ = std::move(cancel);
}

void item_run::leave() {
    std::unique_lock lock(mutex_);
    if (subscribers_ > 0) --subscribers_;
    if (subscribers_ == 0) cancel_locked(lock);
}

void item_run::cancel_locked(std::unique_lock<std::mutex>& lock) {
    if (state_ != "running") return;
    auto reader = std::move(reader_);
    auto cancel = std::move(cancel_);
    lock.unlock();
    reader.reset();  // first: the job's client count must not include the run itself
    if (cancel) cancel();
}

std::string item_run::state() const {
    std::lock_guard lock(mutex_);
    return state_;
}

unsigned item_run::subscribers() const {
    std::lock_guard lock(mutex_);
    return subscribers_;
}

item_feeds::item_feeds(media::job_runner& jobs, std::shared_ptr<subscriber_budget> budget,
                       uint64_t max_result_values)
    : jobs_(jobs), budget_(std::move(budget)), max_result_values_(max_result_values) {}

item_feeds::run_result item_feeds::join_run(const results_plan& plan, item_feed_info info, int rate, bool columns) {
    std::lock_guard lock(mutex_);
    auto refused = [](std::shared_ptr<item_run> run, int status, std::string why, std::string retry) {
        run_result r;
        r.run = std::move(run);
        r.status = status;
        r.refusal = std::move(why);
        r.retry_after = std::move(retry);
        return r;
    };
    if (auto it = runs_.find(plan.key); it != runs_.end()) {
        if (auto run = it->second.lock(); run && run->state() == "running") {
            auto joined = run->join(rate, columns);
            if (!joined.slot) return refused(run, 503, joined.refusal, "10");
            return {run, std::move(joined.slot), 0, {}, {}};
        }
        runs_.erase(it);
    }
    event_hub_settings settings;
    settings.mount_id = "items/" + info.item_id;
    settings.samplerate = info.samplerate;
    settings.server = budget_;
    settings.from_start = true;
    settings.resume_seconds = 1e9;  // kept by size (max_ring, max_ring_bytes), not by age
    settings.check_seconds = 1e9;   // no lag check: see the file's head
    settings.first_seq = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
    auto run = std::make_shared<item_run>(plan.key, std::move(info), std::move(settings));
    // Joined before the job starts: nothing is published yet that this subscriber's rate misses.
    auto joined = run->join(rate, columns);
    if (!joined.slot) return refused(nullptr, 503, joined.refusal, "10");

    results_hooks hooks;
    hooks.on_pipe = [run](pipe& p) { run->on_pipe(p); };
    hooks.pass.on_setup = [run] { run->on_setup(); };
    hooks.pass.progress = [run](int64_t frames, int64_t total) { run->on_progress(frames, total); };
    hooks.on_outcome = [this, run](const std::string& outcome, const std::string& error) {
        {
            std::lock_guard l(mutex_);
            if (auto it = runs_.find(run->key()); it != runs_.end() && it->second.lock() == run) runs_.erase(it);
        }
        run->on_outcome(outcome, error);
    };
    // A run of its own even when a plain results request is computing the same key: that job has
    // no event sinks to follow. Both commit the same results to the cache.
    auto attach = jobs_.start_or_join(results_job(plan, max_result_values_, std::move(hooks)), media::join_policy::own_run);
    if (!attach.stream)
        return refused(nullptr, 429,
                       fmt::format("the server runs its maximum of {} jobs (encodes, results, renders) at once; try again shortly",
                                   jobs_.max_jobs()),
                       "2");
    runs_[plan.key] = run;
    run->set_job(std::move(attach.stream), [cancel = std::move(attach.cancel_if_unread)] { cancel(); });
    return {run, std::move(joined.slot), 0, {}, {}};
}

}  // namespace timeside::server::events
