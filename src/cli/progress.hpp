// A progress line on stderr for long runs, shown only on a terminal and only once a run has
// lasted half a second (short runs and pipes stay quiet).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace timeside::cli {

class progress_bar {
public:
    progress_bar(std::string label, int samplerate);
    ~progress_bar() { clear(); }
    void update(int64_t frames, int64_t total);
    void clear();

private:
    std::string label_;
    int samplerate_;
    bool enabled_;
    bool shown_ = false;
    std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace timeside::cli
