// spectrogram_analyzer: TimeSide's Spectrogram — magnitude spectra of mono-mixed, Hann-windowed
// frames through single-precision FFTW, one row of fft_size/2 + 1 bins per frame. Children on the
// same lane (onset_detection_function) receive each frame as it is computed.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <utility>
#include <vector>

#include <fftw3.h>

#include "core/analyzer.hpp"
#include "core/fftw_planner.hpp"
#include "core/frame_adapter.hpp"

namespace timeside {

// A real-to-complex transform of a fixed size: aligned buffers and a plan made once, executed
// for every frame without allocating.
class fftw_r2c {
public:
    explicit fftw_r2c(int size);
    ~fftw_r2c();
    fftw_r2c(const fftw_r2c&) = delete;
    fftw_r2c& operator=(const fftw_r2c&) = delete;

    int size() const { return size_; }
    std::span<float> input() { return {in_.get(), static_cast<size_t>(size_)}; }
    // size/2 + 1 complex bins, valid after execute().
    std::span<const fftwf_complex> output() const { return {out_.get(), static_cast<size_t>(size_ / 2 + 1)}; }
    void execute() { fftwf_execute(plan_); }

private:
    struct fftw_free_deleter {
        void operator()(void* p) const { fftwf_free(p); }
    };
    int size_;
    std::unique_ptr<float[], fftw_free_deleter> in_;
    std::unique_ptr<fftwf_complex[], fftw_free_deleter> out_;
    fftwf_plan plan_ = nullptr;
};

class spectrogram : public analyzer {
public:
    static const processor_info& describe();
    // Throws usage_error, naming the parameter and the valid values, on a block larger than the
    // FFT or a hop larger than the block.
    explicit spectrogram(parameter_set params);
    ~spectrogram() override;

    int fft_size() const { return fft_size_; }
    int blocksize() const { return blocksize_; }
    int stepsize() const { return stepsize_; }
    int bins() const { return fft_size_ / 2 + 1; }

    // magnitudes: bins() values (the row just appended); frame: the row's index (its window
    // starts at frame * stepsize()). Called on the spectrogram's lane, right after each row.
    using frame_listener = std::function<void(std::span<const double> magnitudes, int64_t frame)>;
    // One listener per owner: registering again replaces it (a child set up for a second run).
    void set_frame_listener(const void* owner, frame_listener fn);
    void remove_frame_listener(const void* owner);

protected:
    void on_setup(const stream_info& in) override;
    void on_process(const block_ptr& b) override;
    void on_finish() override;

private:
    void on_window(std::span<const float> window);

    int blocksize_, stepsize_, fft_size_;
    std::unique_ptr<fftw_r2c> fft_;
    std::vector<float> window_;  // Hann, blocksize_ long
    std::vector<double> row_;    // the current frame's magnitudes, reused
    std::unique_ptr<frame_adapter> adapter_;
    frame_adapter::window_fn on_window_;
    analyzer_result* result_ = nullptr;
    int64_t frames_ = 0;
    std::vector<std::pair<const void*, frame_listener>> listeners_;
};

}  // namespace timeside
