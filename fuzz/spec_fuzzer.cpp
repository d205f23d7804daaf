// libFuzzer target: processor specs as users write them, in their two forms. First byte even: the
// rest is a spec list (`timeside run`'s SPEC..., `?processors=`): parse_spec_list, each spec
// resolved against the shipped presets, then get_processor(id, params). Odd: the second byte picks
// a processor of the registry and the rest is a URL query (`/media/x.mp3?bitrate=128&...`):
// parse_query, then get_processor. A bad spec or value must be a usage_error (a 400, exit status
// 2); a processor the validator accepts must construct, and its parameters must serialize.
#include <nlohmann/json.hpp>

#include "core/errors.hpp"
#include "core/presets.hpp"
#include "core/registry.hpp"
#include "core/spec.hpp"
#include "fuzz/fuzz_support.hpp"

using namespace timeside;

namespace {

const preset_library* presets = nullptr;
std::vector<std::string> ids;

void build(std::string_view id, const raw_parameters& params) {
    auto p = get_processor(id, params);
    if (!p) fuzz::fail("get_processor returned null for " + std::string(id));
    (void)p->parameters().to_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    (void)p->parameters().to_kv();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    presets = new preset_library(preset_library::load(TIMESIDE_SOURCE_ROOT "/presets"));
    for (const auto* info : default_registry().list()) ids.push_back(info->id);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 2) return 0;
    try {
        if ((data[0] & 1) == 0) {
            const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
            for (const auto& spec : parse_spec_list(text)) {
                const auto resolved = presets->resolve(spec);
                build(resolved.id, resolved.parameters);
            }
        } else {
            const std::string_view query(reinterpret_cast<const char*>(data) + 2, size - 2);
            build(ids[data[1] % ids.size()], parse_query(query));
        }
    } catch (const usage_error& e) {
        if (!*e.what()) fuzz::fail("a usage_error without a message");
    }
    return 0;
}
