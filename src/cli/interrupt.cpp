// Async-signal-safe handlers: they only store to lock-free atomics. A second signal falls back
// to the default action, so a stuck process can still be stopped.
#include "cli/interrupt.hpp"

#include <chrono>
#include <csignal>

namespace timeside::cli {

namespace {
std::atomic<bool> flag{false};
std::atomic<int> received{0};

void on_signal(int sig) {
    received = sig;
    flag = true;
    std::signal(sig, SIG_DFL);
}
}  // namespace

const std::atomic<bool>& interrupt_flag() {
    static const bool installed = [] {
        struct sigaction sa {};
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, nullptr);
        sigaction(SIGTERM, &sa, nullptr);
        return true;
    }();
    (void)installed;
    return flag;
}

int interrupt_signal() { return received; }

interrupt_watch::interrupt_watch(std::function<void()> on_interrupt) {
    const auto& flag = interrupt_flag();
    thread_ = std::thread([this, &flag, f = std::move(on_interrupt)] {
        while (!done_) {
            if (flag) {
                f();
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    });
}

interrupt_watch::~interrupt_watch() {
    done_ = true;
    thread_.join();
}

}  // namespace timeside::cli
