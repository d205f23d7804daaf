// The one lock around FFTW's planner. FFTW's planner is not thread-safe: every plan creation and
// destruction in the process, ours or a library's (aubio plans through fftw3f too, under a mutex
// of its own that ours does not see), must hold this mutex.
#pragma once

#include <mutex>

namespace timeside {

std::mutex& fftw_planner_mutex();

}  // namespace timeside
