// polyphase_resampler: a rational sample-rate converter with every filter phase computed once (a
// Kaiser-windowed sinc, 80 taps when going up: about speexdsp's quality 5) and shared by every
// converter of the same ratio. speexdsp at that quality interpolates between phases for ratios
// such as 44.1 -> 48 kHz (147/160), four products per tap; a direct table takes one. Output
// sample 0 is input sample 0 (no leading delay): output m is input time m * in_rate / out_rate,
// produced once the input reaches half the filter past it.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

namespace timeside {

class polyphase_resampler {
public:
    struct filter_bank;

    // Null when the ratio needs more than max_phases phases (44.1 -> 48 kHz needs 160; an odd
    // rate such as 44,056 Hz needs 6,000): the caller converts some other way.
    static std::unique_ptr<polyphase_resampler> make(int channels, int in_rate, int out_rate);
    static constexpr int max_phases = 1024;

    // Interleaved frames in; the output frames they complete appended to `out`, interleaved.
    void process(const float* in, int64_t frames, std::vector<float>& out);
    // Input frames needed past an output's time before it is produced (half the filter).
    int64_t latency() const;

    polyphase_resampler(int channels, std::shared_ptr<const filter_bank> bank);

private:
    int channels_;
    std::shared_ptr<const filter_bank> bank_;
    std::vector<std::vector<float>> history_;  // per channel: input from index base_ on
    int64_t base_ = 0;                         // input index of history_[c][0]
    int64_t received_ = 0;                     // input frames taken
    int64_t at_ = 0;                           // integer part of the next output's input time
    int64_t phase_ = 0;                        // its fraction, in 1/den
};

}  // namespace timeside
