// The graphers this build offers.
#include "core/registry.hpp"

namespace timeside {

void register_graphers(registry&) {}

}  // namespace timeside
