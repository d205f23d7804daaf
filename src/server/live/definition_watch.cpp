// inotify on one folder, read on a thread that polls it beside an eventfd (the stop signal): no
// timer threads, no polling of mtimes. Only names ending in .toml count, so editors' swap and
// backup files do not trigger reloads.
#include "server/live/definition_watch.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include <fmt/format.h>

#include "core/errors.hpp"
#include "server/log.hpp"

namespace timeside::server::live {

namespace {

constexpr uint32_t watched = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE | IN_ATTRIB;

// Whether a buffer of inotify events names a .toml file.
bool names_definition(const char* buffer, ssize_t length) {
    bool found = false;
    for (ssize_t at = 0; at + static_cast<ssize_t>(sizeof(inotify_event)) <= length;) {
        const auto* ev = reinterpret_cast<const inotify_event*>(buffer + at);
        const std::string_view name = ev->len ? std::string_view(ev->name) : std::string_view();
        if (name.size() > 5 && name.substr(name.size() - 5) == ".toml") found = true;
        if (ev->mask & IN_Q_OVERFLOW) found = true;  // events were lost: read the folder again
        at += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
    }
    return found;
}

}  // namespace

definition_watch::definition_watch(std::filesystem::path folder, std::function<void()> on_change,
                                   std::chrono::milliseconds debounce)
    : folder_(std::move(folder)), on_change_(std::move(on_change)), debounce_(debounce) {
    inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (inotify_fd_ < 0) throw processing_error(fmt::format("inotify_init1: {}", std::strerror(errno)));
    if (inotify_add_watch(inotify_fd_, folder_.c_str(), watched | IN_ONLYDIR) < 0) {
        const int err = errno;
        ::close(inotify_fd_);
        throw processing_error(fmt::format("cannot watch the streams folder {}: {}", folder_.string(), std::strerror(err)));
    }
    stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (stop_fd_ < 0) {
        const int err = errno;
        ::close(inotify_fd_);
        throw processing_error(fmt::format("eventfd: {}", std::strerror(err)));
    }
    thread_ = std::thread([this] { run(); });
}

definition_watch::~definition_watch() {
    const uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(stop_fd_, &one, sizeof one);
    thread_.join();
    ::close(stop_fd_);
    ::close(inotify_fd_);
}

void definition_watch::run() {
    alignas(inotify_event) char buffer[16 * 1024];
    bool pending = false;  // a .toml changed; waiting for the folder to be quiet for debounce_
    for (;;) {
        pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
        const int timeout = pending ? static_cast<int>(debounce_.count()) : -1;
        const int ready = ::poll(fds, 2, timeout);
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) {
            log(log_level::error, "streams_watch_failed", {{"folder", folder_.string()}, {"error", std::strerror(errno)}});
            return;
        }
        if (fds[1].revents) return;
        if (ready == 0) {  // quiet for debounce_ since the last change
            pending = false;
            try {
                on_change_();
            } catch (const std::exception& e) {
                log(log_level::error, "streams_reload_failed", {{"folder", folder_.string()}, {"error", e.what()}});
            }
            continue;
        }
        for (;;) {  // drain what is there; each relevant event restarts the quiet period
            const ssize_t n = ::read(inotify_fd_, buffer, sizeof buffer);
            if (n <= 0) break;
            if (names_definition(buffer, n)) pending = true;
        }
    }
}

}  // namespace timeside::server::live
