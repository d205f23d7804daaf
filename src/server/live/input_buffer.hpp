// The bounded hand-over between an input's own thread (a file decoding ahead of the clock) and
// the mount's clock thread reading it: interleaved float frames, the input's end or failure, and
// titles that take effect when the clock reaches the audio they belong to.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "server/live/live_input.hpp"

namespace timeside::server::live {

class input_buffer {
public:
    input_buffer(int channels, int64_t capacity_frames);

    // Producer: appends `frames` frames, waiting while the buffer is full (until a quarter of it,
    // or all that is left to write, fits). False once closed.
    bool write(const float* samples, int64_t frames);
    // Producer: `title` becomes current when the reader reaches the next frame written.
    void mark_title(std::string title);
    // Producer: no more audio; the reader gets `how` (ended or failed) once it has read the rest.
    void finish(live_input::status how, std::string error = {});
    // Any thread: releases the producer and the reader; later writes are refused.
    void close();

    // Reader (see live_input::read).
    live_input::status read(std::vector<float>& out, int64_t max_frames, std::chrono::milliseconds wait);
    std::optional<std::string> take_title();
    std::string error() const;
    int64_t buffered_frames() const;

private:
    const int channels_;
    mutable std::mutex mutex_;
    std::condition_variable data_cv_, space_cv_;
    // A ring of the capacity, allocated once: the unread samples are the `count_` from `head_`
    // on, wrapping at the end (no growth, no shifting: a mount's memory stays what it was given).
    std::vector<float> ring_;
    const size_t refill_;  // samples: a quarter of the ring, whole frames
    size_t wanted_ = 0;    // samples of room the waiting producer needs; 0: none waits
    size_t head_ = 0, count_ = 0;
    int64_t written_ = 0, read_ = 0;                      // frames, since the start
    std::deque<std::pair<int64_t, std::string>> titles_;  // (frame written next, title)
    std::optional<std::string> title_;                    // reached, not yet taken
    std::optional<live_input::status> end_;
    std::string error_;
    bool closed_ = false;
};

}  // namespace timeside::server::live
