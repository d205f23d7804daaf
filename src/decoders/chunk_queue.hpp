// Gathers decoded buffers on GStreamer's streaming thread into chunks of exactly `chunk_frames`
// frames for the decoding thread: one hand-over (one wake-up) per block instead of one per
// demuxer buffer (wavparse pushes 40 ms buffers: 15,000 of them in ten minutes). Bounded: the
// streaming thread waits when `max_ready` chunks are waiting, so memory stays flat.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

namespace timeside {

class chunk_queue {
public:
    chunk_queue(int channels, int samplerate, int64_t chunk_frames, size_t max_ready = 4);

    // Streaming thread. False once stop() was called (the caller then answers FLUSHING).
    bool push(const float* samples, int64_t frames, int64_t pts_ns);
    // End of stream: the partial chunk becomes ready too.
    void finish();
    // Releases a blocked push() and every later one.
    void stop();

    enum class status { chunk, end, waiting };
    // Decoding thread: a chunk (appended to `out`, or swapped in if `out` is empty) with the
    // timestamp of its first frame (-1 if unknown); `end` after finish() once drained; `waiting`
    // if nothing came within `wait`.
    status pop(std::vector<float>& out, int64_t& pts_ns, std::chrono::milliseconds wait);

private:
    struct chunk {
        std::vector<float> samples;
        int64_t pts = -1;
    };
    void seal();  // filling_ -> ready_ (lock held)

    const int channels_;
    const int samplerate_;
    const size_t chunk_samples_;
    const size_t max_ready_;
    std::mutex mutex_;
    std::condition_variable ready_cv_, space_cv_;
    std::deque<chunk> ready_;
    chunk filling_;
    int64_t next_pts_ = -1;  // where the next contiguous buffer should start
    bool finished_ = false, stopped_ = false;
};

}  // namespace timeside
