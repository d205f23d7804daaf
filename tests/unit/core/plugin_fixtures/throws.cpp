// Registers one analyzer, then throws: nothing of it may stay registered.
#include <stdexcept>

#include "fixture_analyzer.hpp"

namespace {
constexpr char half[] = "fixture_half";
void register_all(timeside::plugin_registrar& r) {
    r.add<fixture::counter<half>>();
    throw std::runtime_error("its licence file is missing");
}
}  // namespace

TIMESIDE_PLUGIN("throws", register_all)
