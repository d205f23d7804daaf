// An immutable, reference-counted run of interleaved float32 frames with its format and its
// position (frame index from the stream's start). Fan-out hands the same pointer to every lane.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/format.hpp"

namespace timeside {

class block;
using block_ptr = std::shared_ptr<const block>;

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

private:
    audio_format format_;
    int64_t position_;
    int64_t frames_;
    std::vector<float> samples_;
};

}  // namespace timeside
