// The graphers this build offers.
#include "core/registry.hpp"
#include "graphers/spectrogram_render.hpp"
#include "graphers/waveform_data.hpp"
#include "graphers/waveform_simple.hpp"

namespace timeside {

void register_graphers(registry& r) {
    r.add<spectrogram_lin>();
    r.add<spectrogram_log>();
    r.add<waveform_data>();
    r.add<waveform_simple>();
}

}  // namespace timeside
