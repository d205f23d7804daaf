// onset_detection_function: TimeSide's onset detection function, computed frame by frame from its
// parent spectrogram_analyzer (declared in parents(), so the pipe inserts and shares it): smoothed
// log magnitudes, differentiated along time, half-wave rectified and summed over frequency.
//
// Where it departs from TimeSide, and why: rows are final when emitted (it runs live), so they are
// not divided by the whole curve's median at the end; the filters start from silence rather than
// from zeros (no spurious rise at every file's start); and each row is stamped where its onset is,
// not 15 frames late (the differentiator's delay), at the cost of that many frames of latency.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "core/analyzer.hpp"

namespace timeside {

class spectrogram;

class onset_detection_function : public analyzer {
public:
    static const processor_info& describe();
    // Throws usage_error on a hop larger than the block.
    explicit onset_detection_function(parameter_set params);
    ~onset_detection_function() override;

    // Rows trail the spectrogram's frames by this many frames (the differentiator looks ahead).
    int latency_frames() const { return delay_; }

protected:
    void on_setup(const stream_info& in) override;
    void on_process(const block_ptr&) override {}  // frames arrive from the spectrogram
    void on_finish() override;

private:
    void on_frame(std::span<const double> magnitudes);
    void push_log_frame();  // log_hist_ at log_head_ holds the newest frame: differentiate, emit

    std::shared_ptr<spectrogram> parent_;  // the one set up in this run (the pipe may swap ours)
    int blocksize_, stepsize_;
    int delay_ = 0;           // outputs dropped at the start and made up from held frames at the end
    size_t bins_ = 0;
    std::vector<double> mag_hist_;  // the last `smooth_taps` magnitude frames, a ring of bins_ rows
    size_t mag_head_ = 0;
    std::vector<double> log_hist_;  // the last `diff_taps` log frames, a ring of bins_ rows
    size_t log_head_ = 0;
    std::vector<double> diff_;      // the differentiator's output per bin, reused
    int64_t outputs_ = 0;           // differentiator outputs so far
    analyzer_result* result_ = nullptr;
};

}  // namespace timeside
