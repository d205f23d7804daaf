// The encoders this build offers.
#include "core/registry.hpp"

namespace timeside {

void register_encoders(registry&) {}

}  // namespace timeside
