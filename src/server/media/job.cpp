// The producer appends with pwrite at the end it knows and patches headers with pwrite at their
// offset; readers pread what the size says is there. Notifications run outside the lock: they
// only post to a session's strand.
#include "server/media/job.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "core/errors.hpp"
#include "server/media/job_errors.hpp"

namespace timeside::server::media {

namespace {

constexpr uint64_t max_take = 1 << 20;  // bytes per chunk sent to a client

void write_all(int fd, const unsigned char* data, size_t size, uint64_t offset, const std::string& label,
               const std::filesystem::path& file) {
    while (size > 0) {
        const ssize_t n = ::pwrite(fd, data, size, static_cast<off_t>(offset));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const char* cause = n == 0 ? "nothing written" : std::strerror(errno);
            throw job_error(fmt::format("{}: cannot write the output: {}", label, cause),
                            fmt::format("{}: cannot write the output file {}: {}", label,
                                        file.empty() ? std::string("(unnamed)") : file.string(), cause));
        }
        data += n;
        size -= static_cast<size_t>(n);
        offset += static_cast<uint64_t>(n);
    }
}

}  // namespace

// A client's view of a job: its own offset in the file.
class job_reader : public http::body_stream {
public:
    explicit job_reader(std::shared_ptr<job> j) : job_(std::move(j)) {}
    ~job_reader() override { leave(); }

    void set_notify(std::function<void()> notify) override {
        leave();
        if (notify) id_ = job_->subscribe(std::move(notify));
    }

    state take(std::vector<unsigned char>& out, std::string& error) override {
        const auto v = job_->state();
        if (offset_ < v.size) {
            const size_t n = static_cast<size_t>(std::min(v.size - offset_, max_take));
            const size_t had = out.size();
            out.resize(had + n);
            const ssize_t got = ::pread(job_->fd(), out.data() + had, n, static_cast<off_t>(offset_));
            if (got <= 0) {
                out.resize(had);
                error = fmt::format("{}: cannot read the output back: {}", job_->label(), std::strerror(errno));
                return state::error;
            }
            out.resize(had + static_cast<size_t>(got));
            offset_ += static_cast<uint64_t>(got);
            return state::data;
        }
        if (!v.done) return state::pending;
        if (v.error.empty()) return state::end;
        error = v.error;
        return state::error;
    }

    void cancel() noexcept override { leave(); }
    http::status error_status() const override { return job_->state().code; }

private:
    void leave() noexcept {
        if (id_) job_->leave(std::exchange(id_, 0));
    }

    std::shared_ptr<job> job_;
    uint64_t offset_ = 0;
    uint64_t id_ = 0;
};

job::job(std::string label, std::filesystem::path temp, bool keep_without_readers)
    : label_(std::move(label)), temp_(std::move(temp)), keep_(keep_without_readers) {
    std::string where;  // for the log only
    if (temp_.empty()) {
        // An unnamed file: nothing to clean up whatever happens to the process. Where the file
        // system has no O_TMPFILE, a named one unlinked at once. The folder is $TMPDIR, else
        // /tmp, read here: temp_directory_path() throws a message naming it when it is missing.
        const char* env = std::getenv("TMPDIR");
        const std::filesystem::path dir = env && *env ? env : "/tmp";
        where = "(unnamed, in " + dir.string() + ")";
        fd_ = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (fd_ < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
            std::string name = (dir / "timeside-job-XXXXXX").string();
            fd_ = ::mkostemp(name.data(), O_CLOEXEC);
            if (fd_ >= 0) ::unlink(name.c_str());
        }
    } else {
        where = temp_.string();
        fd_ = ::open(temp_.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0644);
    }
    if (fd_ < 0) {
        const char* cause = std::strerror(errno);
        throw job_error(fmt::format("{}: cannot create the output file: {}", label_, cause),
                        fmt::format("{}: cannot create the output file {}: {}", label_, where, cause));
    }
}

job::~job() {
    if (fd_ >= 0) ::close(fd_);
    if (!temp_.empty()) ::unlink(temp_.c_str());
}

void job::write(std::span<const unsigned char> chunk, bool) {
    if (chunk.empty()) return;
    uint64_t at;
    {
        std::lock_guard lock(mutex_);
        at = size_;
    }
    write_all(fd_, chunk.data(), chunk.size(), at, label_, temp_);
    {
        std::lock_guard lock(mutex_);
        size_ = at + chunk.size();
    }
    notify_all();
}

bool job::rewrite(uint64_t offset, std::span<const unsigned char> bytes) {
    std::lock_guard lock(mutex_);
    if (offset > size_ || bytes.size() > size_ - offset) return false;
    write_all(fd_, bytes.data(), bytes.size(), offset, label_, temp_);
    return true;
}

void job::finish(const std::string& error, http::status code) {
    {
        std::lock_guard lock(mutex_);
        done_ = true;
        error_ = error;
        code_ = code;
    }
    notify_all();
}

std::shared_ptr<http::body_stream> job::add_reader() { return std::make_shared<job_reader>(shared_from_this()); }

void job::cancel() noexcept { cancelled_ = true; }

bool job::cancel_if_unread() noexcept {
    std::lock_guard lock(mutex_);
    if (!readers_.empty() || done_) return false;
    cancelled_ = true;
    return true;
}

job::view job::state() const {
    std::lock_guard lock(mutex_);
    return {size_, done_, error_, code_};
}

uint64_t job::subscribe(std::function<void()> notify) {
    uint64_t id;
    bool ready;
    {
        std::lock_guard lock(mutex_);
        id = next_reader_++;
        readers_.emplace(id, notify);
        ready = size_ > 0 || done_;
    }
    if (ready) notify();
    return id;
}

void job::leave(uint64_t reader) noexcept {
    std::lock_guard lock(mutex_);
    readers_.erase(reader);
    // The last client gone: stop, unless the output is wanted anyway (the cache keeps it).
    if (readers_.empty() && !done_ && !keep_) cancelled_ = true;
}

void job::notify_all() {
    std::vector<std::function<void()>> calls;
    {
        std::lock_guard lock(mutex_);
        calls.reserve(readers_.size());
        for (const auto& [id, fn] : readers_) calls.push_back(fn);
    }
    for (auto& fn : calls) fn();
}

}  // namespace timeside::server::media
