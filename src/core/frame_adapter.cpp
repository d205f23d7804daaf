// Window bookkeeping: the pending buffer holds frames from the next window's start onward.
#include "core/frame_adapter.hpp"

#include <algorithm>
#include <stdexcept>

namespace timeside {

frame_adapter::frame_adapter(int channels, int blocksize, int stepsize, bool mono)
    : in_channels_(channels), blocksize_(blocksize), stepsize_(stepsize), mono_(mono) {
    if (channels <= 0 || blocksize <= 0 || stepsize <= 0)
        throw std::invalid_argument("frame_adapter: channels, blocksize and stepsize must be positive");
}

void frame_adapter::push(const block& b, const window_fn& fn) {
    auto in = b.samples();
    if (mono_ && in_channels_ > 1) {
        size_t base = pending_.size();
        pending_.resize(base + static_cast<size_t>(b.frames()));
        const float scale = 1.0f / static_cast<float>(in_channels_);
        for (int64_t f = 0; f < b.frames(); ++f) {
            float sum = 0;
            for (int c = 0; c < in_channels_; ++c) sum += in[f * in_channels_ + c];
            pending_[base + f] = sum * scale;
        }
    } else {
        pending_.insert(pending_.end(), in.begin(), in.end());
    }
    total_frames_ += b.frames();
    emit_ready(fn);
}

void frame_adapter::emit_ready(const window_fn& fn) {
    const size_t ch = static_cast<size_t>(channels());
    const size_t window = static_cast<size_t>(blocksize_) * ch;
    const size_t hop = static_cast<size_t>(stepsize_) * ch;
    size_t offset = 0;
    for (;;) {
        if (skip_ > 0) {  // a hop longer than the window: drop the frames between windows
            size_t drop = std::min(skip_ * ch, pending_.size() - offset);
            offset += drop;
            skip_ -= drop / ch;
            if (skip_ > 0) break;
        }
        if (pending_.size() - offset < window) break;
        fn(std::span<const float>(pending_.data() + offset, window), pending_start_);
        ++emitted_;
        pending_start_ += stepsize_;
        if (hop <= window) {
            offset += hop;
        } else {
            offset += window;
            skip_ = static_cast<size_t>(stepsize_ - blocksize_);
        }
    }
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(offset));
}

void frame_adapter::flush(const window_fn& fn) {
    const size_t ch = static_cast<size_t>(channels());
    const size_t window = static_cast<size_t>(blocksize_) * ch;
    while (pending_start_ < total_frames_) {
        std::vector<float> padded(window, 0.0f);
        std::copy_n(pending_.begin(), std::min(window, pending_.size()), padded.begin());
        fn(padded, pending_start_);
        ++emitted_;
        pending_start_ += stepsize_;
        size_t hop = static_cast<size_t>(stepsize_) * ch;
        pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(std::min(hop, pending_.size())));
    }
    pending_.clear();
}

}  // namespace timeside
