// The effects this build offers.
#include "core/registry.hpp"

namespace timeside {

void register_effects(registry&) {}

}  // namespace timeside
