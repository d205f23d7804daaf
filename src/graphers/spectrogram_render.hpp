// spectrogram_log and spectrogram_lin (TimeSide's ids): Hann-windowed FFTW frames of the mono mix
// (or of each channel in its own lane), their power mapped to the image's rows, averaged per pixel
// column, drawn in dB through a colormap, rendered to PNG through Cairo.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "core/grapher.hpp"
#include "graphers/colormaps.hpp"
#include "graphers/spectrogram_axis.hpp"
#include "graphers/spectrogram_columns.hpp"

namespace timeside {

class fftw_r2c;

class spectrogram_render : public grapher {
public:
    ~spectrogram_render() override;

    void setup(const stream_info& in) override;
    void process(const block_ptr& b) override;
    void finish() override;
    // Safe at any time, also while blocks arrive on the lane's thread: it draws what it has.
    std::vector<unsigned char> render_bytes() const override;

    int fft_size() const { return fft_size_; }
    // Frames between FFT frame centres (for a known length: clamp(total/width, 1, fft_size/2)).
    int64_t hop() const;

protected:
    spectrogram_render(const processor_info& info, parameter_set params, frequency_scale scale);
    // The parameters both ids declare.
    static std::vector<parameter_spec> parameter_specs();

private:
    void push(const float* interleaved, int64_t frames, int channels, bool zeros);
    void emit_frame();

    const frequency_scale scale_;
    const int width_, height_, fft_size_;
    const double dynamic_range_;
    const colormap_table& colors_;
    const rgb background_;
    const bool split_channels_;

    mutable std::mutex mutex_;  // render_bytes may run on another thread than process
    bool ready_ = false;        // set up at least once
    int lanes_ = 1;
    std::vector<int> lane_top_;                 // each lane's first storage row; lanes_ + 1 entries
    std::vector<frequency_axis> axes_;          // one per lane
    std::vector<float> ring_;                   // lanes_ x fft_size, the last fft_size frames
    int64_t pos_ = 0;                           // frames written to the ring (zero padding included)
    int64_t seen_ = 0;                          // frames of the stream
    std::unique_ptr<fftw_r2c> fft_;
    std::vector<float> window_;
    float power_scale_ = 1;                     // a full-scale sine's bin reads power 1 (0 dB)
    std::vector<float> power_, values_;
    spectrogram_columns columns_;
};

class spectrogram_log final : public spectrogram_render {
public:
    static const processor_info& describe();
    explicit spectrogram_log(parameter_set params);
};

class spectrogram_lin final : public spectrogram_render {
public:
    static const processor_info& describe();
    explicit spectrogram_lin(parameter_set params);
};

}  // namespace timeside
