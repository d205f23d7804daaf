// waveform_analyzer: TimeSide's Waveform analyzer — the raw samples, one row per sample frame
// with one value per channel (frame metadata blocksize 1, stepsize 1), as TimeSide's vstack of
// every block gives them.
#pragma once

#include <vector>

#include "core/analyzer.hpp"

namespace timeside {

class waveform_analyzer : public analyzer {
public:
    static const processor_info& describe();
    explicit waveform_analyzer(parameter_set params);

protected:
    void on_setup(const stream_info& in) override;
    void on_process(const block_ptr& b) override;
    void on_finish() override {}

private:
    analyzer_result* result_ = nullptr;
    std::vector<double> row_;  // one frame, reused
};

}  // namespace timeside
