// The analyzers this build offers.
#include "analyzers/level.hpp"
#include "analyzers/mean_dc_shift.hpp"
#include "analyzers/onset_detection_function.hpp"
#include "analyzers/spectrogram.hpp"
#include "analyzers/waveform_analyzer.hpp"
#include "analyzers/loudness_itu.hpp"
#include "analyzers/aubio_melenergy.hpp"
#include "analyzers/aubio_mfcc.hpp"
#include "analyzers/aubio_pitch.hpp"
#include "analyzers/aubio_silence.hpp"
#include "analyzers/aubio_specdesc.hpp"
#include "analyzers/aubio_temporal.hpp"
#include "analyzers/vamp/vamp_catalog.hpp"
#include "core/registry.hpp"

namespace timeside {

void register_analyzers(registry& r) {
    r.add<level>();
    r.add<mean_dc_shift>();
    r.add<spectrogram>();
    r.add<onset_detection_function>();
    r.add<waveform_analyzer>();
    r.add<loudness_itu>();
    r.add<aubio_pitch>();
    r.add<aubio_temporal>();
    r.add<aubio_mfcc>();
    r.add<aubio_melenergy>();
    r.add<aubio_specdesc>();
    r.add<aubio_silence>();
    // Every output of every installed Vamp plugin (src/analyzers/vamp/).
    register_vamp_analyzers(r);
}

}  // namespace timeside
