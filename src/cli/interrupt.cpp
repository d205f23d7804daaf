// Async-signal-safe handlers: they only store to lock-free atomics. A second signal falls back
// to the default action, so a stuck process can still be stopped.
#include "cli/interrupt.hpp"

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

}  // namespace timeside::cli
