// The analyzers this build offers.
#include "analyzers/level.hpp"
#include "core/registry.hpp"

namespace timeside {

void register_analyzers(registry& r) { r.add<level>(); }

}  // namespace timeside
