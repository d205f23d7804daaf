// Re-blocks a stream for processors that need their own window and hop (TimeSide's
// input_blocksize / input_stepsize): windows start every `stepsize` frames and hold `blocksize`
// frames; the last ones are zero-padded. Optionally mixes down to mono (the channel average).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "core/block.hpp"

namespace timeside {

class frame_adapter {
public:
    // fn(window, first_frame): window holds blocksize frames of `channels()` interleaved samples.
    using window_fn = std::function<void(std::span<const float>, int64_t)>;

    frame_adapter(int channels, int blocksize, int stepsize, bool mono);

    int channels() const { return mono_ ? 1 : in_channels_; }
    int blocksize() const { return blocksize_; }
    int stepsize() const { return stepsize_; }

    void push(const block& b, const window_fn& fn);
    // Emits the remaining windows (every window starting before the end), zero-padded.
    void flush(const window_fn& fn);
    int64_t windows_emitted() const { return emitted_; }

private:
    void emit_ready(const window_fn& fn);

    int in_channels_, blocksize_, stepsize_;
    bool mono_;
    std::vector<float> pending_;  // samples from frame `pending_start_` on
    int64_t pending_start_ = 0;  // stream frame of the next window's start
    size_t skip_ = 0;            // frames still to drop before the next window
    int64_t total_frames_ = 0;
    int64_t emitted_ = 0;
};

}  // namespace timeside
