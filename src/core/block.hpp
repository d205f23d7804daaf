// An immutable, reference-counted run of interleaved float32 frames with its format and its
// position (frame index from the stream's start). Fan-out hands the same pointer to every lane.
// Every sample of a block is finite: what is not (a float WAV holding NaN or Inf) is replaced once,
// here, where blocks are made, so no consumer (LAME asserts on them) ever sees one.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/format.hpp"

namespace timeside {

class block;
using block_ptr = std::shared_ptr<const block>;

// Replaces each NaN by 0 and each +-Inf by +-1.0 (full scale); returns how many it replaced.
int64_t make_finite(std::span<float> samples);

class block {
public:
    block(audio_format format, int64_t position, std::vector<float> samples);

    static block_ptr make(audio_format format, int64_t position, std::vector<float> samples) {
        return std::make_shared<const block>(format, position, std::move(samples));
    }

    const audio_format& format() const { return format_; }
    int channels() const { return format_.channels; }
    int samplerate() const { return format_.samplerate; }
    int64_t position() const { return position_; }
    int64_t frames() const { return frames_; }
    // All samples, interleaved: frame i, channel c is samples()[i * channels() + c].
    std::span<const float> samples() const { return samples_; }
    float at(int64_t frame, int channel) const { return samples_[frame * format_.channels + channel]; }
    // How many of the samples given to the constructor were not finite (and were replaced).
    int64_t replaced() const { return replaced_; }

private:
    audio_format format_;
    int64_t position_;
    int64_t frames_;
    int64_t replaced_;
    std::vector<float> samples_;
};

}  // namespace timeside
