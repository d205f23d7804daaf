// waveform_data: min/max points at a fixed zoom in BBC audiowaveform's .dat or .json format, for
// peaks.js and waveform-data.js. Samples are taken as 16-bit integers and mixed down (or kept
// apart) exactly as audiowaveform does; each pixel is final as soon as its last frame arrives.
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

#include "core/grapher.hpp"

namespace timeside {

class waveform_data : public grapher {
public:
    static const processor_info& describe();
    explicit waveform_data(parameter_set params);

    void setup(const stream_info& in) override;
    void process(const block_ptr& b) override;
    void finish() override;
    // Safe at any time: before finish() it holds the complete pixels so far; the last, partial
    // pixel is added by finish(), as audiowaveform keeps it.
    std::vector<unsigned char> render_bytes() const override;
    std::string extension() const override { return json_ ? "json" : "dat"; }
    std::string media_type() const override { return json_ ? "application/json" : "application/octet-stream"; }

    // After setup(): the scale and the channels written (1 unless split_channels).
    int samples_per_pixel() const;
    int output_channels() const;

    // A float sample as audiowaveform's 16-bit input: x * 32768 rounded to nearest (ties to
    // even), clipped to [-32768, 32767]; NaN reads 0. FFmpeg's float to s16 conversion is the same.
    static int to_int16(float x);

private:
    void add(const float* frames, int64_t n);
    void close_pixel();

    const bool json_;
    const int bits_;
    const bool split_;
    const int64_t zoom_;
    const int64_t pixels_per_second_;  // 0: not given
    const double start_, end_;         // seconds; end_ 0: not given
    mutable std::mutex mutex_;         // render_bytes may run on another thread than process
    int sample_rate_ = 0;
    int in_channels_ = 0;
    int out_channels_ = 1;
    int spp_ = 0;
    int64_t first_frame_ = 0, end_frame_ = 0;  // the frames kept: [first_frame_, end_frame_)
    int64_t count_ = 0;                        // frames in the pixel being accumulated
    std::vector<int> min_, max_;               // that pixel, per output channel
    std::vector<int16_t> points_;              // complete pixels: per channel min, max
};

}  // namespace timeside
