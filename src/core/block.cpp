// Block construction checks the invariants every consumer relies on: whole frames, finite samples.
#include "core/block.hpp"

#include <cstring>
#include <stdexcept>

namespace timeside {

namespace {
// By the bits, so that no floating-point mode (-ffinite-math-only) can optimize the test away:
// an all-ones exponent is an infinity (zero mantissa) or a NaN.
constexpr uint32_t exponent_bits = 0x7f800000u;
bool finite_bits(uint32_t b) { return (b & exponent_bits) != exponent_bits; }
}  // namespace

int64_t make_finite(std::span<float> samples) {
    // A first pass that only looks (it vectorizes): almost every block has nothing to replace.
    bool all_finite = true;
    for (float s : samples) {
        uint32_t b;
        std::memcpy(&b, &s, sizeof b);
        all_finite &= finite_bits(b);
    }
    if (all_finite) return 0;
    int64_t replaced = 0;
    for (float& s : samples) {
        uint32_t b;
        std::memcpy(&b, &s, sizeof b);
        if (finite_bits(b)) continue;
        const bool nan = (b & 0x007fffffu) != 0;
        s = nan ? 0.0f : (b >> 31 ? -1.0f : 1.0f);
        ++replaced;
    }
    return replaced;
}

block::block(audio_format format, int64_t position, std::vector<float> samples)
    : format_(format), position_(position), samples_(std::move(samples)) {
    if (format_.channels <= 0 || format_.samplerate <= 0)
        throw std::invalid_argument("block: format needs a positive rate and channel count");
    if (samples_.size() % static_cast<size_t>(format_.channels) != 0)
        throw std::invalid_argument("block: sample count is not a whole number of frames");
    frames_ = static_cast<int64_t>(samples_.size()) / format_.channels;
    replaced_ = make_finite(samples_);
}

}  // namespace timeside
