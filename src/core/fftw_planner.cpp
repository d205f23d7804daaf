// One process-wide mutex, created on first use (safe from any thread, C++11 statics).
#include "core/fftw_planner.hpp"

namespace timeside {

std::mutex& fftw_planner_mutex() {
    static std::mutex m;
    return m;
}

}  // namespace timeside
