// A free id, then one good.cpp already has: the whole library is refused.
#include "fixture_analyzer.hpp"

namespace {
constexpr char free_id[] = "fixture_free";
constexpr char taken_id[] = "fixture_first";
void register_all(timeside::plugin_registrar& r) {
    r.add<fixture::counter<free_id>>();
    r.add<fixture::counter<taken_id>>();
}
}  // namespace

TIMESIDE_PLUGIN("taken", register_all)
