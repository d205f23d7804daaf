// fx_gain: TimeSide's Gain effect — every sample of every channel multiplied by a linear gain, for
// the processors after it in the pipe. No clipping: samples are float, encoders clip.
#pragma once

#include "core/processor.hpp"

namespace timeside {

class fx_gain : public effect {
public:
    static const processor_info& describe();
    explicit fx_gain(parameter_set params);

    stream_info setup(const stream_info& in) override { return in; }
    block_ptr transform(const block_ptr& in) override;

private:
    float gain_;
};

}  // namespace timeside
