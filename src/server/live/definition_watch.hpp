// Watches the streams folder with inotify and calls back once the folder has been quiet for the
// debounce time after a *.toml file was written, moved in or out, or deleted (an editor's save is
// several events; a copy of ten files is one reload). The lead wires on_change to mount_set::reload.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <thread>

namespace timeside::server::live {

class definition_watch {
public:
    // Starts watching at once, on a thread of its own; on_change runs on that thread. Throws
    // processing_error if inotify cannot watch the folder (it must exist).
    definition_watch(std::filesystem::path folder, std::function<void()> on_change,
                     std::chrono::milliseconds debounce = std::chrono::milliseconds(200));
    ~definition_watch();  // stops the thread (waits for a running on_change)
    definition_watch(const definition_watch&) = delete;
    definition_watch& operator=(const definition_watch&) = delete;

private:
    void run();

    std::filesystem::path folder_;
    std::function<void()> on_change_;
    std::chrono::milliseconds debounce_;
    int inotify_fd_ = -1;
    int stop_fd_ = -1;  // an eventfd the destructor writes to wake the thread
    std::thread thread_;
};

}  // namespace timeside::server::live
