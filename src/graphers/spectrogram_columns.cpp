// spectrogram_columns: the column bookkeeping of both modes (known length in place, doubling spans
// merged pairwise) and the frame schedule that goes with it.
#include "graphers/spectrogram_columns.hpp"

#include <algorithm>
#include <stdexcept>

namespace timeside {

spectrogram_columns::spectrogram_columns(int width, int rows, int64_t total_frames, int max_hop) {
    reset(width, rows, total_frames, max_hop);
}

void spectrogram_columns::reset(int width, int rows, int64_t total_frames, int max_hop) {
    if (width < 1 || rows < 1 || max_hop < 1)
        throw std::invalid_argument("spectrogram_columns: width, rows and max_hop must be at least 1");
    width_ = width;
    rows_ = rows;
    total_ = total_frames < 0 ? -1 : total_frames;
    max_hop_ = max_hop;
    growing_ = total_ < 0;
    finished_ = false;
    seen_ = centre_ = added_ = col_ = fill_ = 0;
    last_ = -1;
    span_ = 1;
    // Known length: one hop per column at most (so each gets a frame), and at most half a window
    // (so each frame of audio is analysed at most twice, with equal Hann weight overall).
    hop_ = growing_ ? 1 : std::clamp<int64_t>(total_ / width_, 1, max_hop_);
    if (!growing_) end_ = column_end(0);
    sums_.assign(static_cast<size_t>(width) * static_cast<size_t>(rows), 0.0f);
    counts_.assign(static_cast<size_t>(width), 0);
}

// floor((x+1) * total / width), split so that no product can overflow for any real length.
int64_t spectrogram_columns::column_end(int64_t column) const {
    const int64_t q = total_ / width_, r = total_ % width_;
    return (column + 1) * q + ((column + 1) * r) / width_;
}

void spectrogram_columns::add(std::span<const float> values) {
    if (values.size() != static_cast<size_t>(rows_))
        throw std::invalid_argument("spectrogram_columns::add: one value per row expected");
    if (!growing_) {
        while (col_ < width_ && centre_ >= end_) {
            ++col_;
            if (col_ < width_) end_ = column_end(col_);
        }
        if (col_ >= width_) start_growing();  // the stream is longer than announced
    }
    if (growing_ && col_ == width_) merge_pairs();
    float* sum = sums_.data() + static_cast<size_t>(col_) * static_cast<size_t>(rows_);
    for (size_t r = 0; r < values.size(); ++r) sum[r] += values[r];
    ++counts_[static_cast<size_t>(col_)];
    ++added_;
    if (!growing_) {
        last_ = col_;
        centre_ += hop_;
        return;
    }
    // Growing: this frame stands for the hop up to the next one, at the current span's hop.
    hop_ = std::min<int64_t>(span_, max_hop_);
    fill_ += hop_;
    if (fill_ >= span_) {  // merged only once a frame needs the room (see add's start)
        ++col_;
        fill_ -= span_;
    }
    centre_ += hop_;
}

// The announced length was too short. Shorter than the width, every column held at most one
// frame (hop 1): packing the non-empty ones gives exactly the one-frame-span state. Otherwise
// each column held about total/width frames; calling that the span is off by less than a frame
// per column, which no picture shows.
void spectrogram_columns::start_growing() {
    growing_ = true;
    fill_ = 0;
    if (total_ < width_) {
        int64_t k = 0;
        for (int64_t x = 0; x < width_; ++x) {
            const auto ux = static_cast<size_t>(x);
            if (counts_[ux] == 0) continue;
            if (k != x) {
                std::copy_n(sums_.begin() + static_cast<std::ptrdiff_t>(ux * static_cast<size_t>(rows_)), rows_,
                            sums_.begin() + static_cast<std::ptrdiff_t>(static_cast<size_t>(k) * static_cast<size_t>(rows_)));
                counts_[static_cast<size_t>(k)] = counts_[ux];
            }
            ++k;
        }
        std::fill(sums_.begin() + static_cast<std::ptrdiff_t>(static_cast<size_t>(k) * static_cast<size_t>(rows_)),
                  sums_.end(), 0.0f);
        std::fill(counts_.begin() + static_cast<std::ptrdiff_t>(k), counts_.end(), 0u);
        col_ = k;
        span_ = 1;
    } else {
        col_ = width_;
        span_ = (total_ + width_ - 1) / width_;
    }
    hop_ = std::min<int64_t>(span_, max_hop_);
}

// Halves the columns and doubles the span. With an odd width the last column has no partner:
// it becomes the current column, half full.
void spectrogram_columns::merge_pairs() {
    const size_t rows = static_cast<size_t>(rows_);
    const int half = width_ / 2;
    for (size_t i = 0; i < static_cast<size_t>(half); ++i) {
        float* dst = sums_.data() + i * rows;
        const float* a = sums_.data() + 2 * i * rows;
        const float* b = a + rows;
        for (size_t r = 0; r < rows; ++r) dst[r] = a[r] + b[r];
        counts_[i] = counts_[2 * i] + counts_[2 * i + 1];
    }
    size_t used = static_cast<size_t>(half);
    col_ = half;
    fill_ = 0;
    if (width_ % 2 != 0) {
        std::copy_n(sums_.data() + static_cast<size_t>(width_ - 1) * rows, rows, sums_.data() + used * rows);
        counts_[used] = counts_[static_cast<size_t>(width_ - 1)];
        fill_ = span_;
        ++used;
    }
    std::fill(sums_.begin() + static_cast<std::ptrdiff_t>(used * rows), sums_.end(), 0.0f);
    std::fill(counts_.begin() + static_cast<std::ptrdiff_t>(used), counts_.end(), 0u);
    span_ *= 2;
}

void spectrogram_columns::finish(int64_t frames_seen) {
    finished_ = true;
    seen_ = frames_seen;
}

void spectrogram_columns::fit(std::span<int> out) const {
    const size_t n_out = out.size();
    std::fill(out.begin(), out.end(), -1);
    if (added_ == 0 || n_out == 0) return;
    // The next column from c on that holds a frame (a known length shorter than the width leaves
    // columns that none landed in); c itself when none does.
    auto filled = [&](size_t c, size_t limit) {
        for (size_t k = c; k < limit; ++k)
            if (counts_[k] > 0) return static_cast<int>(k);
        return static_cast<int>(c);
    };
    if (!growing_ && !(finished_ && seen_ < total_)) {
        const auto reached = static_cast<size_t>(last_ + 1);
        const auto w = static_cast<size_t>(width_);
        for (size_t x = 0; x < n_out; ++x) {
            const size_t c = x * w / n_out;
            if (c < reached) out[x] = filled(c, reached);
        }
        return;
    }
    const size_t used = growing_ ? static_cast<size_t>(col_) + (col_ < width_ && counts_[static_cast<size_t>(col_)] > 0 ? 1 : 0)
                                 : static_cast<size_t>(last_ + 1);
    for (size_t x = 0; x < n_out; ++x) out[x] = filled(x * used / n_out, used);
}

float spectrogram_columns::mean(int c, int r) const {
    const auto n = counts_[static_cast<size_t>(c)];
    if (n == 0) return 0.0f;
    return sums_[static_cast<size_t>(c) * static_cast<size_t>(rows_) + static_cast<size_t>(r)] / static_cast<float>(n);
}

}  // namespace timeside
