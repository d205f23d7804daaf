// peaks: the per-sample loop (mixdown, then min/max over a run that stays inside one column) and
// the column bookkeeping of both modes, known length and doubling spans.
#include "graphers/peaks.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace timeside {

namespace {

constexpr float inf = std::numeric_limits<float>::infinity();

// The mean of one frame's channels. C is the channel count when known at compile time (1 and 2,
// the cases that matter for speed), 0 for any other count.
template <int C>
inline float mixdown(const float* f, int channels, float scale) {
    if constexpr (C == 1) {
        return f[0];
    } else if constexpr (C == 2) {
        return (f[0] + f[1]) * 0.5f;
    } else {
        float sum = 0;
        for (int c = 0; c < channels; ++c) sum += f[c];
        return sum * scale;
    }
}

// Min and max of the mixdown over n frames. Eight independent lanes so the compiler vectorizes;
// `v < lo ? v : lo` (rather than std::fmin) maps to one minps and skips NaN frames.
template <int C>
void scan(const float* s, int64_t n, int channels, float& lo_out, float& hi_out) {
    constexpr int lanes = 8;
    const int ch = C > 0 ? C : channels;
    const float scale = 1.0f / static_cast<float>(ch);
    float lo[lanes], hi[lanes];
    for (int k = 0; k < lanes; ++k) lo[k] = inf, hi[k] = -inf;
    int64_t i = 0;
    for (; i + lanes <= n; i += lanes) {
        for (int k = 0; k < lanes; ++k) {
            const float v = mixdown<C>(s + (i + k) * ch, ch, scale);
            lo[k] = v < lo[k] ? v : lo[k];
            hi[k] = v > hi[k] ? v : hi[k];
        }
    }
    for (; i < n; ++i) {
        const float v = mixdown<C>(s + i * ch, ch, scale);
        lo[0] = v < lo[0] ? v : lo[0];
        hi[0] = v > hi[0] ? v : hi[0];
    }
    for (int k = 1; k < lanes; ++k) lo[0] = std::min(lo[0], lo[k]), hi[0] = std::max(hi[0], hi[k]);
    lo_out = lo[0];
    hi_out = hi[0];
}

// Min and max of one channel of interleaved frames (split_channels); NaN skipped as above.
void scan_channel(const float* s, int64_t n, int stride, float& lo_out, float& hi_out) {
    float lo = inf, hi = -inf;
    for (int64_t i = 0; i < n; ++i) {
        const float v = s[i * stride];
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    lo_out = lo;
    hi_out = hi;
}

void scan_frames(const float* s, int64_t n, int channels, int channel, float& lo, float& hi) {
    if (channel >= 0) {
        scan_channel(s + channel, n, channels, lo, hi);
        return;
    }
    switch (channels) {
        case 1:
            scan<1>(s, n, 1, lo, hi);
            break;
        case 2:
            scan<2>(s, n, 2, lo, hi);
            break;
        default:
            scan<0>(s, n, channels, lo, hi);
            break;
    }
}

}  // namespace

peaks::peaks(int width, int64_t total_frames) {
    reset(width, total_frames);
}

void peaks::reset(int width, int64_t total_frames) {
    if (width < 1) throw std::invalid_argument("peaks: width must be at least 1");
    width_ = width;
    total_ = total_frames < 0 ? -1 : total_frames;
    growing_ = total_ < 0;
    finished_ = false;
    pos_ = col_ = fill_ = 0;
    span_ = 1;
    mins_.assign(static_cast<size_t>(width), 0.0f);
    maxs_.assign(static_cast<size_t>(width), 0.0f);
    if (!growing_) end_ = column_end(0);
}

// floor((x+1) * total / width), split so that no product can overflow for any real length.
int64_t peaks::column_end(int64_t column) const {
    const int64_t q = total_ / width_, r = total_ % width_;
    return (column + 1) * q + ((column + 1) * r) / width_;
}

void peaks::add(std::span<const float> interleaved, int channels, int channel) {
    if (channels < 1) throw std::invalid_argument("peaks: a frame needs at least one channel");
    if (channel >= channels) throw std::invalid_argument("peaks: no such channel");
    const float* s = interleaved.data();
    int64_t left = static_cast<int64_t>(interleaved.size()) / channels;
    while (left > 0) {
        int64_t n;
        if (!growing_) {
            if (col_ >= width_) {  // more frames than announced
                start_growing();
                continue;
            }
            n = std::min(left, end_ - pos_);
            if (n == 0) {  // a column that covers no frame (length shorter than the width)
                next_column();
                continue;
            }
        } else {
            // Merging only once a frame needs the room keeps a length of width * 2^k at
            // exactly `width` columns.
            if (col_ == width_) merge_pairs();
            n = std::min(left, span_ - fill_);
        }
        float lo, hi;
        scan_frames(s, n, channels, channel, lo, hi);
        put(lo, hi, n);
        s += n * channels;
        left -= n;
        if (!growing_) {
            if (pos_ == end_) next_column();
        } else if (fill_ == span_) {
            ++col_;
            fill_ = 0;
        }
    }
}

void peaks::put(float lo, float hi, int64_t n) {
    if (lo > hi) lo = hi = 0;  // every frame was NaN: reads as silence
    auto& mn = mins_[static_cast<size_t>(col_)];
    auto& mx = maxs_[static_cast<size_t>(col_)];
    if (fill_ == 0) {
        mn = lo, mx = hi;
    } else {
        mn = std::min(mn, lo), mx = std::max(mx, hi);
    }
    fill_ += n;
    pos_ += n;
}

void peaks::next_column() {
    ++col_;
    fill_ = 0;
    if (col_ < width_) end_ = column_end(col_);
}

// The announced length was too short. Shorter than the width, each column held at most one
// frame: packing the non-empty ones gives exactly the span-1 state. Otherwise columns held
// total/width frames, rounded either way; calling that span ceil(total/width) is off by less
// than one frame per column, which no picture shows.
void peaks::start_growing() {
    growing_ = true;
    fill_ = 0;
    if (total_ < width_) {
        int64_t k = 0;
        for (int64_t x = 0, start = 0; x < width_; ++x) {
            const int64_t end = column_end(x);
            if (end > start) {
                mins_[static_cast<size_t>(k)] = mins_[static_cast<size_t>(x)];
                maxs_[static_cast<size_t>(k)] = maxs_[static_cast<size_t>(x)];
                ++k;
            }
            start = end;
        }
        col_ = k;
        span_ = 1;
        std::fill(mins_.begin() + k, mins_.end(), 0.0f);
        std::fill(maxs_.begin() + k, maxs_.end(), 0.0f);
    } else {
        col_ = width_;
        span_ = (total_ + width_ - 1) / width_;
        merge_pairs();
    }
}

// Halves the columns and doubles the span. With an odd width the last column has no partner:
// it becomes the current column, half full.
void peaks::merge_pairs() {
    const int half = width_ / 2;
    for (size_t i = 0; i < static_cast<size_t>(half); ++i) {
        mins_[i] = std::min(mins_[2 * i], mins_[2 * i + 1]);
        maxs_[i] = std::max(maxs_[2 * i], maxs_[2 * i + 1]);
    }
    col_ = half;
    fill_ = 0;
    if (width_ % 2 != 0) {
        mins_[static_cast<size_t>(half)] = mins_[static_cast<size_t>(width_ - 1)];
        maxs_[static_cast<size_t>(half)] = maxs_[static_cast<size_t>(width_ - 1)];
        fill_ = span_;
    }
    const auto used = static_cast<size_t>(col_ + (fill_ > 0 ? 1 : 0));
    std::fill(mins_.begin() + static_cast<std::ptrdiff_t>(used), mins_.end(), 0.0f);
    std::fill(maxs_.begin() + static_cast<std::ptrdiff_t>(used), maxs_.end(), 0.0f);
    span_ *= 2;
}

void peaks::finish() {
    finished_ = true;
}

int peaks::size() const {
    const int64_t n = col_ + (fill_ > 0 ? 1 : 0);
    return static_cast<int>(std::min<int64_t>(n, width_));
}

void peaks::fit(std::span<float> out_min, std::span<float> out_max) const {
    if (out_min.size() != out_max.size()) throw std::invalid_argument("peaks::fit: sizes differ");
    const size_t out_n = out_min.size();
    // A known length is drawn in place (columns not reached yet stay at the centre line) unless
    // the stream ended before its announced length; what has data is then stretched.
    const bool stretch = growing_ || (finished_ && pos_ < total_);
    const size_t n = stretch ? static_cast<size_t>(size()) : static_cast<size_t>(width_);
    if (n == 0 || pos_ == 0) {
        std::fill(out_min.begin(), out_min.end(), 0.0f);
        std::fill(out_max.begin(), out_max.end(), 0.0f);
        return;
    }
    const float* mn = mins_.data();
    const float* mx = maxs_.data();
    std::vector<float> filled_min, filled_max;
    if (!growing_ && total_ < width_) {
        // Each empty column takes the next column's frame, the one it starts at.
        filled_min.assign(mins_.begin(), mins_.begin() + static_cast<std::ptrdiff_t>(n));
        filled_max.assign(maxs_.begin(), maxs_.begin() + static_cast<std::ptrdiff_t>(n));
        for (size_t x = n - 1; x-- > 0;) {
            const int64_t start = x == 0 ? 0 : column_end(static_cast<int64_t>(x) - 1);
            if (column_end(static_cast<int64_t>(x)) == start)
                filled_min[x] = filled_min[x + 1], filled_max[x] = filled_max[x + 1];
        }
        mn = filled_min.data();
        mx = filled_max.data();
    }
    for (size_t x = 0; x < out_n; ++x) {
        const size_t a = x * n / out_n;
        const size_t b = std::max(a + 1, (x + 1) * n / out_n);
        float lo = mn[a], hi = mx[a];
        for (size_t i = a + 1; i < b; ++i) lo = std::min(lo, mn[i]), hi = std::max(hi, mx[i]);
        out_min[x] = lo;
        out_max[x] = hi;
    }
}

}  // namespace timeside
