// Two analyzers, registered together.
#include "fixture_analyzer.hpp"

namespace {
constexpr char first[] = "fixture_first";
constexpr char second[] = "fixture_second";
void register_all(timeside::plugin_registrar& r) {
    r.add<fixture::counter<first>>();
    r.add<fixture::counter<second>>();
}
}  // namespace

TIMESIDE_PLUGIN("good", register_all)
