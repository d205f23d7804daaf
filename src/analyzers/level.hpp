// level: peak and RMS level in dBFS over all samples of all channels, as `sox FILE -n stats`
// reports them ("Pk lev dB", "RMS lev dB" of its Overall column), and per channel (its Ch1, Ch2...
// columns). Emits the same values per block for live meters.
#pragma once

#include <vector>

#include "core/analyzer.hpp"

namespace timeside {

class level : public analyzer {
public:
    static const processor_info& describe();
    // What silence reads, instead of -inf: below anything a 32-bit float signal can carry.
    static constexpr double floor_db = -200.0;

    explicit level(parameter_set params);

    static double to_db(double amplitude);

protected:
    void on_setup(const stream_info& in) override;
    void on_process(const block_ptr& b) override;
    void on_finish() override;

private:
    // Per channel, over the whole run; the overall values are their max and their sum.
    std::vector<float> peak_;
    std::vector<double> sum_squares_;
    int64_t frames_ = 0;
    // Scratch for one block's per-channel values (no allocation per block).
    std::vector<float> block_peak_;
    std::vector<double> block_sum_;
    analyzer_result* max_ = nullptr;  // made at setup, filled at finish
    analyzer_result* rms_ = nullptr;
    analyzer_result* channel_max_ = nullptr;
    analyzer_result* channel_rms_ = nullptr;
};

}  // namespace timeside
