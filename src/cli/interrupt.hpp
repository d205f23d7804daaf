// SIGINT / SIGTERM during a run: a flag the pipe polls, so outputs are aborted (no partial file
// under a final name) instead of the process dying mid-write.
#pragma once

#include <atomic>
#include <functional>
#include <thread>

namespace timeside::cli {

// Installs the handlers once; the returned flag becomes true on the first signal.
const std::atomic<bool>& interrupt_flag();
int interrupt_signal();  // the signal received, 0 if none

// Calls `on_interrupt` once (from its own thread, within ~20 ms) when the flag becomes true while
// it lives: for the phases that do not poll the flag themselves (opening, prerolling, hashing).
class interrupt_watch {
public:
    explicit interrupt_watch(std::function<void()> on_interrupt);
    ~interrupt_watch();
    interrupt_watch(const interrupt_watch&) = delete;
    interrupt_watch& operator=(const interrupt_watch&) = delete;

private:
    std::atomic<bool> done_{false};
    std::thread thread_;
};

}  // namespace timeside::cli
