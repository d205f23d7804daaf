// The decoders this build offers.
#include "core/registry.hpp"
#include "decoders/array_decoder.hpp"
#include "decoders/file_decoder.hpp"

namespace timeside {

void register_decoders(registry& r) {
    r.add<file_decoder>();
    r.add<array_decoder>();
}

}  // namespace timeside
