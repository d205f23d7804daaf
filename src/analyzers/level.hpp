// level: peak and RMS level in dBFS over all samples of all channels, as `sox FILE -n stats`
// reports them ("Pk lev dB", "RMS lev dB"). Emits the same two values per block for live meters.
#pragma once

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
    float peak_ = 0;
    double sum_squares_ = 0;
    int64_t samples_ = 0;
    analyzer_result* max_ = nullptr;  // made at setup, filled at finish
    analyzer_result* rms_ = nullptr;
};

}  // namespace timeside
