// The effects this build offers.
#include "core/registry.hpp"
#include "effects/fx_gain.hpp"

namespace timeside {

void register_effects(registry& r) { r.add<fx_gain>(); }

}  // namespace timeside
