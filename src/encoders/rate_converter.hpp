// rate_converter: interleaved float audio from one rate to another with no leading delay (output
// frame 0 is input frame 0; each output frame comes once the input reaches latency() frames past
// its time): polyphase_resampler for the usual ratios, speexdsp at quality 5 (its leading zeros
// skipped) for ratios that would need too many filter phases.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

struct SpeexResamplerState_;

namespace timeside {

class polyphase_resampler;

class rate_converter {
public:
    // Throws usage_error naming the rates when neither converter takes them.
    rate_converter(int channels, int in_rate, int out_rate);
    ~rate_converter();
    rate_converter(const rate_converter&) = delete;
    rate_converter& operator=(const rate_converter&) = delete;

    // Appends to `out` the output frames that `frames` more input frames complete.
    void process(const float* in, int64_t frames, std::vector<float>& out);

private:
    int channels_;
    int in_rate_, out_rate_;
    std::unique_ptr<polyphase_resampler> polyphase_;
    SpeexResamplerState_* speex_ = nullptr;
};

}  // namespace timeside
