// centroid_columns: a ring of the last window's samples; a frame is computed as soon as its last
// sample has arrived, and lands in the column of its centre: known length by the peaks mapping,
// unknown length by doubling spans. Windows stay inside the stream, so its edges are no clicks.
#include "graphers/centroid_columns.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "analyzers/spectrogram.hpp"  // fftw_r2c: plans under fftw_planner_mutex()

namespace timeside {

namespace {
constexpr int half_window = centroid_columns::window_size / 2;
constexpr int64_t ring_mask = centroid_columns::window_size - 1;
static_assert((centroid_columns::window_size & ring_mask) == 0, "the ring indexes by mask");
}  // namespace

centroid_columns::centroid_columns(int width) : width_(width) {
    if (width < 1) throw std::invalid_argument("centroid_columns: width must be at least 1");
    columns_.resize(static_cast<size_t>(width));
}

centroid_columns::~centroid_columns() = default;
centroid_columns::centroid_columns(centroid_columns&&) noexcept = default;
centroid_columns& centroid_columns::operator=(centroid_columns&&) noexcept = default;

void centroid_columns::reset(int samplerate, int64_t total_frames) {
    if (samplerate < 1) throw std::invalid_argument("centroid_columns: no sample rate");
    samplerate_ = samplerate;
    total_ = total_frames < 0 ? -1 : total_frames;
    growing_ = total_ < 0;
    finished_ = false;
    seen_ = next_start_ = computed_ = 0;
    last_start_ = -1;
    col_ = col_start_ = 0;
    span_ = 1;
    last_col_ = -1;
    std::fill(columns_.begin(), columns_.end(), column{});
    ring_.assign(window_size, 0.0f);
    if (window_.empty()) {
        window_.resize(window_size);
        for (int i = 0; i < window_size; ++i)
            window_[static_cast<size_t>(i)] =
                static_cast<float>(0.5 - 0.5 * std::cos(2 * M_PI * i / window_size));
    }
    if (!fft_) fft_ = std::make_unique<fftw_r2c>(window_size);
}

int centroid_columns::hop() const {
    const int64_t span = growing_ ? span_ : (total_ > 0 ? total_ / width_ : 1);
    return static_cast<int>(std::clamp<int64_t>(span, 1, half_window));
}

void centroid_columns::add(std::span<const float> interleaved, int channels, int channel) {
    if (!fft_) throw std::logic_error("centroid_columns: add() before reset()");
    if (channels < 1 || channel >= channels) throw std::invalid_argument("centroid_columns: no such channel");
    const size_t n = interleaved.size() / static_cast<size_t>(channels);
    const float* s = interleaved.data();
    const float scale = 1.0f / static_cast<float>(channels);
    for (size_t i = 0; i < n; ++i, s += channels) {
        float v;
        if (channel >= 0) {
            v = s[channel];
        } else {
            v = 0;
            for (int c = 0; c < channels; ++c) v += s[c];
            v *= scale;
        }
        ring_[static_cast<size_t>(seen_ & ring_mask)] = std::isfinite(v) ? v : 0.0f;
        ++seen_;
        while (seen_ >= next_start_ + window_size) compute_frame(next_start_);
    }
}

void centroid_columns::finish() {
    finished_ = true;
    if (!fft_ || seen_ == 0) return;
    if (computed_ == 0)
        compute_frame(0);  // shorter than a window: the one frame there is, zero-padded
    else if (last_start_ + window_size < seen_)
        compute_frame(seen_ - window_size);  // the tail the hops stepped over
}

void centroid_columns::compute_frame(int64_t start) {
    auto in = fft_->input();
    for (int i = 0; i < window_size; ++i) {
        const int64_t p = start + i;
        const float v = p >= seen_ ? 0.0f : ring_[static_cast<size_t>(p & ring_mask)];
        in[static_cast<size_t>(i)] = v * window_[static_cast<size_t>(i)];
    }
    fft_->execute();
    const auto out = fft_->output();
    const double bin_hz = static_cast<double>(samplerate_) / window_size;
    double magnitude = 0, weighted = 0;
    for (size_t k = 0; k < out.size(); ++k) {
        const float re = out[k][0], im = out[k][1];
        const double m = std::sqrt(re * re + im * im);
        magnitude += m;
        weighted += m * static_cast<double>(k);
    }
    weighted *= bin_hz;
    put(std::min(start + half_window, seen_ - 1), magnitude, weighted);
    ++computed_;
    last_start_ = start;
    next_start_ = start + hop();
}

void centroid_columns::put(int64_t centre, double magnitude, double weighted) {
    int64_t x;
    if (!growing_ && centre >= total_) start_growing();  // longer than announced
    if (!growing_) {
        // The column whose [floor(x*T/W), floor((x+1)*T/W)) holds the centre.
        x = ((centre + 1) * width_ - 1) / total_;
    } else {
        while (centre >= col_start_ + span_) {
            col_start_ += span_;
            if (++col_ == width_) merge_pairs();
        }
        x = col_;
    }
    auto& c = columns_[static_cast<size_t>(x)];
    c.magnitude += magnitude;
    c.weighted += weighted;
    ++c.frames;
    last_col_ = x;
}

// From known-length columns to doubling spans, keeping the columns already filled in order.
void centroid_columns::start_growing() {
    growing_ = true;
    if (total_ < width_) {
        // At most one frame per column (the hop was 1): pack them at span 1.
        int64_t k = 0;
        for (auto& c : columns_)
            if (c.frames > 0) columns_[static_cast<size_t>(k++)] = c;
        std::fill(columns_.begin() + k, columns_.end(), column{});
        span_ = 1;
        col_ = col_start_ = k;
        last_col_ = k - 1;
    } else {
        span_ = (total_ + width_ - 1) / width_;
        col_ = width_ - 1;
        col_start_ = total_ - span_;
    }
}

// Halves the columns and doubles the span. With an odd width the last column has no partner: it
// becomes the current column, half full, starting one old span back.
void centroid_columns::merge_pairs() {
    const int64_t half = width_ / 2;
    for (int64_t i = 0; i < half; ++i) {
        auto& a = columns_[static_cast<size_t>(2 * i)];
        const auto& b = columns_[static_cast<size_t>(2 * i + 1)];
        columns_[static_cast<size_t>(i)] = {a.magnitude + b.magnitude, a.weighted + b.weighted,
                                            a.frames + b.frames};
    }
    col_ = half;
    if (width_ % 2 != 0) {
        columns_[static_cast<size_t>(half)] = columns_[static_cast<size_t>(width_ - 1)];
        col_start_ -= span_;
        std::fill(columns_.begin() + half + 1, columns_.end(), column{});
    } else {
        std::fill(columns_.begin() + half, columns_.end(), column{});
    }
    span_ *= 2;
    last_col_ = col_;
}

// The columns up to the one the last sample falls in: the last frame's centre lies up to half a
// window before it, and peaks stretches its columns up to the last sample too.
int64_t centroid_columns::columns_reached() const {
    if (seen_ == 0) return 0;
    int64_t n;
    if (growing_)
        n = col_ + (seen_ - col_start_ + span_ - 1) / span_;
    else
        n = (seen_ * width_ - 1) / std::max<int64_t>(total_, 1) + 1;
    return std::clamp<int64_t>(n, last_col_ + 1, width_);
}

std::vector<double> centroid_columns::fit_hz(int out_width) const {
    std::vector<double> out(static_cast<size_t>(std::max(0, out_width)), 0.0);
    const bool stretch = growing_ || (finished_ && seen_ < total_);
    const int64_t n = stretch ? columns_reached() : width_;
    if (n <= 0 || computed_ == 0 || out.empty()) return out;
    // Columns no frame reached (a length shorter than the width) take the next one's frames, or
    // the last one's at the end.
    std::vector<column> cols(columns_.begin(), columns_.begin() + n);
    for (int64_t x = n - 1; x-- > 0;)
        if (cols[static_cast<size_t>(x)].frames == 0)
            cols[static_cast<size_t>(x)] = cols[static_cast<size_t>(x + 1)];
    for (int64_t x = 1; x < n; ++x)
        if (cols[static_cast<size_t>(x)].frames == 0)
            cols[static_cast<size_t>(x)] = cols[static_cast<size_t>(x - 1)];
    const auto m = static_cast<int64_t>(out.size());
    for (int64_t x = 0; x < m; ++x) {
        const int64_t a = x * n / m, b = std::max(a + 1, (x + 1) * n / m);
        double magnitude = 0, weighted = 0;
        for (int64_t i = a; i < b; ++i) {
            magnitude += cols[static_cast<size_t>(i)].magnitude;
            weighted += cols[static_cast<size_t>(i)].weighted;
        }
        // Silence (or a signal far below what a pixel shows) has no centroid.
        out[static_cast<size_t>(x)] = magnitude > 1e-9 ? weighted / magnitude : 0.0;
    }
    return out;
}

}  // namespace timeside
