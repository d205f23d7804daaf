// Block construction checks the one invariant every consumer relies on.
#include "core/block.hpp"

#include <stdexcept>

namespace timeside {

block::block(audio_format format, int64_t position, std::vector<float> samples)
    : format_(format), position_(position), samples_(std::move(samples)) {
    if (format_.channels <= 0 || format_.samplerate <= 0)
        throw std::invalid_argument("block: format needs a positive rate and channel count");
    if (samples_.size() % static_cast<size_t>(format_.channels) != 0)
        throw std::invalid_argument("block: sample count is not a whole number of frames");
    frames_ = static_cast<int64_t>(samples_.size()) / format_.channels;
}

}  // namespace timeside
