// The encoders this build offers.
#include "core/registry.hpp"
#include "encoders/flac_encoder.hpp"
#include "encoders/mp3_encoder.hpp"
#include "encoders/opus_encoder.hpp"
#include "encoders/vorbis_encoder.hpp"
#include "encoders/wav_encoder.hpp"

namespace timeside {

void register_encoders(registry& r) {
    r.add<flac_encoder>();
    r.add<mp3_encoder>();
    r.add<opus_encoder>();
    r.add<vorbis_encoder>();
    r.add<wav_encoder>();
}

}  // namespace timeside
