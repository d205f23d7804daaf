// The frequency axis of a spectrogram render: which FFT bins each image row shows. Row 0 is the
// bottom of the axis (lowest frequency); logarithmic from 100 Hz to Nyquist (spectrogram_log) or
// linear from 0 to Nyquist (spectrogram_lin).
#pragma once

#include <span>
#include <vector>

namespace timeside {

enum class frequency_scale { logarithmic, linear };

class frequency_axis {
public:
    // The lowest frequency of the logarithmic axis (TimeSide's spectrogram_log starts there).
    static constexpr double log_floor_hz = 100.0;

    frequency_axis(frequency_scale scale, int rows, int samplerate, int fft_size);

    int rows() const { return static_cast<int>(rows_.size()); }
    // The frequency at the centre of row r (fractional rows allowed): row 0 is the axis' lowest
    // frequency, row rows()-1 is Nyquist.
    double frequency(double r) const;

    // One FFT frame's power per bin (fft_size/2 + 1 values) to one value per row: the largest
    // power among the bins whose centre falls in the row's band (half a row either side of its
    // centre), so a tone between two row centres keeps its level; where a band holds no bin
    // centre (the low end of the log axis), the power interpolated at the row's frequency.
    void map(std::span<const float> power, std::span<float> out) const;

private:
    struct row_source {
        int first, last;  // bins [first, last] when first <= last; else interpolate at first + alpha
        float alpha;
    };
    frequency_scale scale_;
    double low_, nyquist_;
    std::vector<row_source> rows_;
};

}  // namespace timeside
