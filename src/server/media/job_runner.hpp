// Runs jobs (outputs produced on demand) one thread each, at most `max_jobs` at a time, and
// shares them: a request for an output that is being produced joins that job instead of
// starting another. A job that succeeds goes into the disk cache under its key; later requests
// find it there (the caller looks in the cache first).
#pragma once

#include <atomic>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "core/byte_sink.hpp"
#include "server/http/reply.hpp"
#include "server/media/disk_cache.hpp"
#include "server/media/job_errors.hpp"

namespace timeside::server::media {

class job;

struct job_spec {
    std::string key;    // cache_key() of the output
    std::string ext;    // the cached file's extension
    std::string label;  // how logs name it: "sweep.ogg"
    // Runs on the job's thread: writes the whole output to `out`, polls `cancel` (a run that
    // stops for it throws cancelled_error). A request_error or usage_error refuses the request
    // (400: a value that cannot work with this source, found at setup); a job_error fails it
    // with its public message and status (its detail goes to the log); any other exception
    // fails it (500) with its message, the source's path replaced by the name clients know.
    std::function<void(byte_sink& out, const std::atomic<bool>& cancel)> produce;
    // The source's absolute path and the name clients know it by (its path under its media
    // folder): an error message sent to a client says the latter.
    std::string source_path;
    std::string source_name;
    // Called on the job's thread when it ends: "done", "cancelled", "refused" (request_error,
    // usage_error) or "failed", and its wall time. Only "done" is cached.
    std::function<void(const std::string& outcome, double wall_seconds)> on_end;
    // Called just before on_end, with the outcome and the message its clients were given (empty
    // when done), the output already in the cache: an item's event feed ends with it.
    std::function<void(const std::string& outcome, const std::string& error)> on_outcome;
};

struct job_attach {
    std::shared_ptr<http::body_stream> stream;  // null: max_jobs are running, come back later
    bool joined = false;                        // true: shared a job already running
    // Cancels this job if no client reads its output (an item feed's last subscriber left);
    // false when a client keeps it running or it is over.
    std::function<bool()> cancel_if_unread;
};

// share: a request for an output that a job is producing reads that job's output. own_run: the
// caller needs a run of its own (an item feed hooks the job's pipe, which a running job cannot
// give it): a job is started even when one with the same key runs; later requests share the
// first one, and both commit the same output to the cache.
enum class join_policy { share, own_run };

class job_runner {
public:
    job_runner(disk_cache& cache, unsigned max_jobs);
    ~job_runner();
    job_runner(const job_runner&) = delete;
    job_runner& operator=(const job_runner&) = delete;

    // Joins the running job with spec.key, or starts one. Its output goes to a temporary file in
    // the cache; when the cache cannot take one (its folder unwritable), to an unnamed file and
    // the output is served uncached. Throws job_error (public message; the detail is logged)
    // when no output file can be created at all.
    job_attach start_or_join(job_spec spec, join_policy policy = join_policy::share);
    size_t active() const;  // jobs running
    unsigned max_jobs() const { return max_jobs_; }
    // Cancels and joins every job (the server is stopping); later starts are refused.
    void stop_all();

private:
    struct running {
        std::shared_ptr<job> out;
        std::string key;
        bool producing = true;  // under mutex_: false once its output is committed (or failed)
        std::thread thread;
        std::atomic<bool> done{false};
    };
    void reap_locked();
    std::shared_ptr<job> make_output(const job_spec& spec);

    disk_cache& cache_;
    const unsigned max_jobs_;
    mutable std::mutex mutex_;
    std::list<running> jobs_;
    std::unordered_map<std::string, std::shared_ptr<job>> by_key_;  // jobs still producing
    bool stopped_ = false;
};

}  // namespace timeside::server::media
