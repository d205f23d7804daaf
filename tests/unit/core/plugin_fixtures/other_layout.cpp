// The macro's descriptor with one layout size changed, as headers of another TimeSide would give.
#include "fixture_analyzer.hpp"

namespace {
constexpr char id[] = "fixture_layout";
void register_all(timeside::plugin_registrar& r) { r.add<fixture::counter<id>>(); }
}  // namespace

extern "C" __attribute__((visibility("default"))) const timeside_plugin_descriptor* timeside_plugin_entry() {
    static const timeside_plugin_descriptor d = [] {
        timeside_plugin_descriptor x = {TIMESIDE_PLUGIN_API_VERSION, TIMESIDE_PLUGIN_STDLIB, TIMESIDE_PLUGIN_LAYOUT,
                                        "other layout", register_all};
        x.layout[3] += 8;  // processor_info
        return x;
    }();
    return &d;
}
