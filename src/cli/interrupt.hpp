// SIGINT / SIGTERM during a run: a flag the pipe polls, so outputs are aborted (no partial file
// under a final name) instead of the process dying mid-write.
#pragma once

#include <atomic>

namespace timeside::cli {

// Installs the handlers once; the returned flag becomes true on the first signal.
const std::atomic<bool>& interrupt_flag();
int interrupt_signal();  // the signal received, 0 if none

}  // namespace timeside::cli
