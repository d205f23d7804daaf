// mean_dc_shift: TimeSide's Mean DC shift Analyzer, in %: 100 × the mean of all samples of all
// channels, `sox FILE -n stats`' "DC offset" × 100 (sox's overall column shows the largest channel
// offset; with several channels this is the mean of its channel columns). Emits each block's value.
#pragma once

#include "core/analyzer.hpp"

namespace timeside {

class mean_dc_shift : public analyzer {
public:
    static const processor_info& describe();
    explicit mean_dc_shift(parameter_set params);

protected:
    void on_setup(const stream_info& in) override;
    void on_process(const block_ptr& b) override;
    void on_finish() override;

private:
    double sum_ = 0;
    int64_t samples_ = 0;
    analyzer_result* result_ = nullptr;  // made at setup, filled at finish
};

}  // namespace timeside
