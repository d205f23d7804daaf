// Row bands computed once per setup; map() then costs one pass over the bins per FFT frame.
#include "graphers/spectrogram_axis.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace timeside {

frequency_axis::frequency_axis(frequency_scale scale, int rows, int samplerate, int fft_size)
    : scale_(scale), nyquist_(samplerate / 2.0) {
    if (rows < 1 || samplerate < 1 || fft_size < 2)
        throw std::invalid_argument("frequency_axis: rows, samplerate and fft_size must be positive");
    // At rates so low that Nyquist is under 200 Hz, the log axis keeps one octave.
    low_ = scale == frequency_scale::linear ? 0.0 : std::min(log_floor_hz, nyquist_ / 2);
    rows_.resize(static_cast<size_t>(rows));
    const int top_bin = fft_size / 2;
    const double bin_hz = static_cast<double>(samplerate) / fft_size;
    for (int r = 0; r < rows; ++r) {
        // A single row shows the whole axis.
        const double lo = rows == 1 ? low_ : frequency(r - 0.5), hi = rows == 1 ? nyquist_ : frequency(r + 0.5);
        int first = static_cast<int>(std::ceil(lo / bin_hz));
        // The top row includes Nyquist itself; every other band is half-open.
        int last = r == rows - 1 ? static_cast<int>(std::floor(hi / bin_hz))
                                 : static_cast<int>(std::ceil(hi / bin_hz)) - 1;
        first = std::max(first, 0);
        last = std::min(last, top_bin);
        auto& src = rows_[static_cast<size_t>(r)];
        if (first <= last) {
            src = {first, last, 0.0f};
        } else {
            const double pos = std::clamp(frequency(r) / bin_hz, 0.0, static_cast<double>(top_bin));
            const int k = std::min(static_cast<int>(pos), top_bin - 1);
            src = {k + 1, k, static_cast<float>(pos - k)};  // first > last marks interpolation
        }
    }
}

double frequency_axis::frequency(double r) const {
    const int n = rows();
    const double t = n > 1 ? r / (n - 1) : 0.5;
    if (scale_ == frequency_scale::linear) return nyquist_ * t;
    return low_ * std::pow(nyquist_ / low_, t);
}

void frequency_axis::map(std::span<const float> power, std::span<float> out) const {
    for (size_t r = 0; r < rows_.size(); ++r) {
        const auto& s = rows_[r];
        if (s.first <= s.last) {
            float m = power[static_cast<size_t>(s.first)];
            for (int k = s.first + 1; k <= s.last; ++k) m = std::max(m, power[static_cast<size_t>(k)]);
            out[r] = m;
        } else {
            const auto k = static_cast<size_t>(s.last);
            out[r] = (1 - s.alpha) * power[k] + s.alpha * power[k + 1];
        }
    }
}

}  // namespace timeside
