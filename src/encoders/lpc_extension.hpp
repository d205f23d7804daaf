// lpc_extension: continues audio past its end by linear prediction, fading to silence. An encoder
// that pads its last frame past the end of the input would otherwise code a step down to zero,
// whose ringing spreads back into the last samples a listener keeps (the end is trimmed, not the
// ringing). Opus pads at least its lookahead (6.5 ms) at the end of every stream.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace timeside {

// `history`: the last frames of interleaved audio (a few hundred are enough; fewer than 48 give no
// prediction, only silence). Returns `frames` interleaved frames that continue each channel, faded
// from its predicted level to 0 over their length; silence where a channel cannot be predicted
// (silent, too short, or a prediction that grows instead of decaying).
std::vector<float> lpc_extension(std::span<const float> history, int channels, int64_t frames);

}  // namespace timeside
