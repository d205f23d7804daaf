// A job leaves by_key_ only after its output is in the cache, so a request never finds neither
// the job nor the cache entry for an output that was just produced. Threads are joined by the
// next start (reap) or by stop_all().
#include "server/media/job_runner.hpp"

#include <algorithm>
#include <chrono>

#include "core/errors.hpp"
#include "server/log.hpp"
#include "server/media/job.hpp"

namespace timeside::server::media {

job_runner::job_runner(disk_cache& cache, unsigned max_jobs) : cache_(cache), max_jobs_(max_jobs) {}

job_runner::~job_runner() { stop_all(); }

namespace {

// `message` with the source's absolute path replaced by the name clients know it by.
std::string public_text(std::string message, const job_spec& spec) {
    if (!spec.source_path.empty())
        for (size_t at; (at = message.find(spec.source_path)) != std::string::npos;)
            message.replace(at, spec.source_path.size(), spec.source_name);
    return message;
}

}  // namespace

std::shared_ptr<job> job_runner::make_output(const job_spec& spec) {
    if (cache_.enabled()) {
        try {
            return std::make_shared<job>(spec.label, cache_.temp_path(), true);
        } catch (const job_error& e) {
            // The cache cannot take a new file (its folder unwritable, not a folder, full): the
            // output is still served, uncached; the operator reads why in the log.
            log(log_level::warn, "cache",
                {{"output", spec.label}, {"error", e.detail()}, {"action", "served uncached"}});
        }
    }
    try {
        return std::make_shared<job>(spec.label, std::filesystem::path(), false);
    } catch (const job_error& e) {
        log(log_level::error, "job", {{"output", spec.label}, {"error", e.detail()}});
        throw;
    }
}

job_attach job_runner::start_or_join(job_spec spec, join_policy policy) {
    std::lock_guard lock(mutex_);
    reap_locked();
    const auto found = by_key_.find(spec.key);
    if (found != by_key_.end() && policy == join_policy::share) {
        std::weak_ptr<job> weak = found->second;
        return {found->second->add_reader(), true, [weak] {
                    auto j = weak.lock();
                    return j && j->cancel_if_unread();
                }};
    }
    if (stopped_ || jobs_.size() >= max_jobs_) return {};
    auto out = make_output(spec);
    auto reader = out->add_reader();
    running& r = jobs_.emplace_back();
    r.out = out;
    r.key = spec.key;
    if (found == by_key_.end()) by_key_.emplace(spec.key, out);
    r.thread = std::thread([this, out, spec = std::move(spec), self = &r, done = &r.done] {
        const auto started = std::chrono::steady_clock::now();
        std::string error, outcome = "done";
        auto code = http::status::internal_server_error;
        try {
            spec.produce(*out, out->cancelled());
        } catch (const cancelled_error&) {
            error = "cancelled";
            outcome = "cancelled";
        } catch (const request_error& e) {
            error = e.what();
            outcome = "refused";
            code = http::status::bad_request;
        } catch (const usage_error& e) {
            // A value the validator let through that this source cannot take (a scale finer
            // than its rate, a bitrate its rate cannot carry): refused at setup, a 400.
            error = public_text(e.what(), spec);
            outcome = "refused";
            code = http::status::bad_request;
        } catch (const job_error& e) {
            error = e.what();
            outcome = "failed";
            code = e.code();
            log(log_level::error, "job", {{"output", spec.label}, {"error", e.detail()}});
        } catch (const std::exception& e) {
            outcome = "failed";
            log(log_level::error, "job", {{"output", spec.label}, {"error", e.what()}});
            error = public_text(e.what(), spec);
        }
        if (error.empty() && !out->temp_path().empty()) {
            const auto temp = out->temp_path();
            out->release_temp();
            cache_.commit(temp, spec.key, spec.ext);
        }
        {
            std::lock_guard l(mutex_);
            self->producing = false;
            if (auto it = by_key_.find(spec.key); it != by_key_.end() && it->second == out) {
                by_key_.erase(it);
                // A run of the same output beside this one (an item feed's own_run) is what a
                // request joins from now on: this one may have ended without a cache entry
                // (cancelled, failed), and a third run would compute it again.
                for (auto& other : jobs_)
                    if (&other != self && other.producing && other.key == spec.key) {
                        by_key_.emplace(spec.key, other.out);
                        break;
                    }
            }
        }
        out->finish(error, code);
        if (spec.on_outcome) spec.on_outcome(outcome, error);
        if (spec.on_end)
            spec.on_end(outcome, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        *done = true;
    });
    std::weak_ptr<job> weak = out;
    return {reader, false, [weak] {
                auto j = weak.lock();
                return j && j->cancel_if_unread();
            }};
}

void job_runner::reap_locked() {
    for (auto it = jobs_.begin(); it != jobs_.end();) {
        if (it->done) {
            it->thread.join();
            it = jobs_.erase(it);
        } else {
            ++it;
        }
    }
}

size_t job_runner::active() const {
    std::lock_guard lock(mutex_);
    return static_cast<size_t>(std::count_if(jobs_.begin(), jobs_.end(), [](const running& r) { return !r.done; }));
}

void job_runner::stop_all() {
    std::list<running> all;
    {
        std::lock_guard lock(mutex_);
        stopped_ = true;
        all.swap(jobs_);
    }
    for (auto& r : all) r.out->cancel();
    for (auto& r : all)
        if (r.thread.joinable()) r.thread.join();
}

}  // namespace timeside::server::media
