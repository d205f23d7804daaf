// The graphers this build offers.
#include "core/registry.hpp"
#include "graphers/spectrogram_render.hpp"
#include "graphers/waveform_centroid.hpp"
#include "graphers/waveform_contours.hpp"
#include "graphers/waveform_data.hpp"
#include "graphers/waveform_simple.hpp"
#include "graphers/waveform_transparent.hpp"

namespace timeside {

void register_graphers(registry& r) {
    r.add<spectrogram_lin>();
    r.add<spectrogram_log>();
    r.add<waveform_centroid>();
    r.add<waveform_contour_black>();
    r.add<waveform_contour_white>();
    r.add<waveform_data>();
    r.add<waveform_simple>();
    r.add<waveform_transparent>();
}

}  // namespace timeside
