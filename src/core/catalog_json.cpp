// Processor schemas come from each parameter_spec's schema(); preset parameters keep their TOML types.
#include "core/catalog_json.hpp"

#include "core/registry.hpp"

namespace timeside {

nlohmann::json processors_json() {
    nlohmann::json out = nlohmann::json::array();
    const auto& reg = default_registry();
    for (const auto* info : reg.list()) {
        nlohmann::json params = nlohmann::json::array();
        for (const auto& p : info->parameters) params.push_back(p.schema());
        out.push_back({{"id", info->id},
                       {"name", info->name},
                       {"version", info->version},
                       {"kind", to_string(info->kind)},
                       {"description", info->description},
                       {"unit", info->unit},
                       {"parameters", params}});
        // Where it comes from: "built-in", or "vamp"/"plugin" and the library's file.
        const auto& origin = reg.origin(info->id);
        out.back()["origin"] = origin.name();
        if (!origin.file.empty()) out.back()["library"] = origin.file;
    }
    return out;
}

nlohmann::json presets_json(const preset_library& presets) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& [name, p] : presets.all()) {
        nlohmann::json params = nlohmann::json::object();
        for (const auto& [k, v] : p.parameters) std::visit([&, &k = k](const auto& x) { params[k] = x; }, v);
        out.push_back({{"id", name}, {"kind", "preset"}, {"description", p.description},
                       {"processor", p.processor}, {"parameters", params}});
    }
    return out;
}

nlohmann::json catalog_json(const preset_library& presets) {
    nlohmann::json out = processors_json();
    for (auto& p : presets_json(presets)) out.push_back(std::move(p));
    return out;
}

}  // namespace timeside
