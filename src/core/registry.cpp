// The registry and its one explicit list of processor families.
#include "core/registry.hpp"

#include <algorithm>
#include <regex>

#include <fmt/format.h>

#include "core/plugin_loader.hpp"

namespace timeside {

const char* processor_origin::name() const {
    switch (from) {
        case kind::vamp: return "vamp";
        case kind::plugin: return "plugin";
        case kind::builtin: break;
    }
    return "built-in";
}

std::string processor_origin::suffix() const {
    return from == kind::builtin ? std::string() : fmt::format(" [{} {}]", name(), file);
}

void registry::check_new(const processor_info& info) const {
    static const std::regex id_pattern("^[a-z][_a-z0-9]*$");
    if (!std::regex_match(info.id, id_pattern))
        throw std::logic_error("processor id '" + info.id + "' does not match ^[a-z][_a-z0-9]*$");
    if (auto it = entries_.find(info.id); it != entries_.end()) {
        const auto& o = it->second.origin;
        throw std::logic_error(fmt::format("processor id '{}' is already taken (by {}{})", info.id,
                                           o.from == processor_origin::kind::builtin ? "a built-in processor" : o.name(),
                                           o.file.empty() ? "" : " " + o.file));
    }
}

void registry::add(const processor_info& info, processor_factory make, processor_origin origin) {
    check_new(info);
    entries_.emplace(info.id, entry{&info, std::move(make), std::move(origin)});
}

const processor_origin& registry::origin(std::string_view id) const {
    static const processor_origin builtin;
    auto it = entries_.find(id);
    return it == entries_.end() ? builtin : it->second.origin;
}

const processor_info* registry::find(std::string_view id) const {
    auto it = entries_.find(id);
    return it == entries_.end() ? nullptr : it->second.info;
}

std::shared_ptr<processor> registry::make(std::string_view id, const raw_parameters& params) const {
    auto it = entries_.find(id);
    if (it == entries_.end()) {
        std::vector<std::string> ids;
        for (const auto& [k, e] : entries_) ids.push_back(k);
        throw usage_error(fmt::format("unknown processor '{}'; valid processors: {}", id, fmt::join(ids, ", ")));
    }
    const auto& info = *it->second.info;
    return it->second.make(validate_parameters(info.id, info.parameters, params));
}

std::vector<const processor_info*> registry::list() const {
    std::vector<const processor_info*> out;
    for (const auto& [k, e] : entries_) out.push_back(e.info);
    std::stable_sort(out.begin(), out.end(), [](auto a, auto b) { return a->kind < b->kind; });
    return out;
}

const registry& default_registry() {
    static const registry r = [] {
        registry reg;
        register_decoders(reg);
        register_analyzers(reg);
        register_graphers(reg);
        register_encoders(reg);
        register_effects(reg);
        // Last, so that a plugin never takes a built-in processor's id (plugin_loader.hpp).
        register_plugins(reg);
        return reg;
    }();
    return r;
}

std::shared_ptr<processor> get_processor(std::string_view id, const raw_parameters& params) {
    return default_registry().make(id, params);
}

std::string list_processors() {
    static const std::pair<processor_kind, const char*> interfaces[] = {
        {processor_kind::decoder, "IDecoder"},   {processor_kind::analyzer, "IAnalyzer"},
        {processor_kind::grapher, "IGrapher"},   {processor_kind::encoder, "IEncoder"},
        {processor_kind::effect, "IEffect"},
    };
    const auto& reg = default_registry();
    auto all = reg.list();
    std::string out;
    for (const auto& [kind, title] : interfaces) {
        bool any = false;
        for (const auto* info : all) {
            if (info->kind != kind) continue;
            if (!any) out += fmt::format("{}\n{}\n", title, std::string(std::string_view(title).size(), '='));
            any = true;
            out += fmt::format("  * {} {}: {}{}\n", info->id, info->version, info->description,
                               reg.origin(info->id).suffix());
        }
        if (any) out += "\n";
    }
    return out;
}

}  // namespace timeside
