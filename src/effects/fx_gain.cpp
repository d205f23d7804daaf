// fx_gain: blocks are immutable and shared with the processors before the effect, so a gain other
// than 1 makes a new block; a gain of 1 passes the block itself on.
#include "effects/fx_gain.hpp"

#include <vector>

namespace timeside {

const processor_info& fx_gain::describe() {
    static const processor_info info{
        "fx_gain", "Gain effect", "1.0", "Multiplies every sample by a linear gain", "",
        processor_kind::effect,
        // Up to 1000 (+60 dB): enough to lift a very quiet recording to full scale.
        {number_param("gain", "linear gain (2 = +6.02 dB, 0.5 = -6.02 dB, 0 = silence)", 1.0, 0.0, 1000.0)}};
    return info;
}

fx_gain::fx_gain(parameter_set params)
    : effect(describe(), std::move(params)), gain_(static_cast<float>(parameters().number("gain"))) {}

block_ptr fx_gain::transform(const block_ptr& in) {
    if (gain_ == 1.0f) return in;
    const auto x = in->samples();
    std::vector<float> out(x.size());
    for (size_t i = 0; i < x.size(); ++i) out[i] = x[i] * gain_;
    return block::make(in->format(), in->position(), std::move(out));
}

}  // namespace timeside
