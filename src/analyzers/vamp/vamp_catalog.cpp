// Describing Vamp plugins' outputs as analyzers and registering them.
#include "analyzers/vamp/vamp_catalog.hpp"

#include <cstdio>

#include <fmt/format.h>
#include <vamp-hostsdk/PluginChannelAdapter.h>
#include <vamp-hostsdk/PluginHostAdapter.h>
#include <vamp-hostsdk/PluginInputDomainAdapter.h>

#include "analyzers/vamp/vamp_analyzer.hpp"
#include "analyzers/vamp/vamp_ids.hpp"
#include "analyzers/vamp/vamp_parameters.hpp"
#include "core/registry.hpp"

namespace timeside::vamp {

namespace {

namespace host = _VampHost::Vamp;

// Outputs are described at a common rate; the plugin is made again at the stream's rate to run.
constexpr int describe_rate = 44100;

std::string description_of(const host::Plugin& p, const host::Plugin::OutputDescriptor& od, const std::string& key) {
    std::string text = od.description.empty() ? od.name : od.description;
    return fmt::format("{} (Vamp plugin {}: {}{})", text, key, p.getName(),
                       p.getMaker().empty() ? "" : ", " + p.getMaker());
}

}  // namespace

std::unique_ptr<host::Plugin> instantiate(const VampPluginDescriptor* d, int samplerate) {
    std::unique_ptr<host::Plugin> p = std::make_unique<host::PluginHostAdapter>(d, static_cast<float>(samplerate));
    if (p->getInputDomain() == host::Plugin::FrequencyDomain)
        p = std::make_unique<host::HostExt::PluginInputDomainAdapter>(p.release());
    return std::make_unique<host::HostExt::PluginChannelAdapter>(p.release());
}

std::deque<output_entry> describe_outputs(const std::vector<std::shared_ptr<const library>>& libs, const skip_fn& on_skip) {
    std::deque<output_entry> entries;
    std::vector<output_key> keys;
    for (const auto& lib : libs) {
        for (const auto* d : lib->descriptors()) {
            const std::string plugin_key = lib->key() + ":" + (d->identifier ? d->identifier : "?");
            try {
                auto plugin = instantiate(d, describe_rate);
                if (!d->identifier || !*d->identifier) throw std::runtime_error("it has no identifier");
                const auto params = declare_parameters(*plugin);
                // A plugin that cannot start with its own preferred sizes would fail every run.
                const auto sizes = apply_parameters(*plugin, validate_parameters(plugin_key, params, {}));
                if (!plugin->initialise(1, static_cast<size_t>(sizes.step), static_cast<size_t>(sizes.block)))
                    throw std::runtime_error(fmt::format("it does not initialise with its preferred sizes (block {}, "
                                                         "step {}, one channel at {} Hz)",
                                                         sizes.block, sizes.step, describe_rate));
                const auto outputs = plugin->getOutputDescriptors();
                if (outputs.empty()) throw std::runtime_error("it declares no outputs");
                for (const auto& od : outputs) {
                    output_entry e;
                    e.lib = lib;
                    e.descriptor = d;
                    e.plugin = d->identifier;
                    e.output = od.identifier;
                    e.info.name = plugin->getName() + ": " + od.name;
                    e.info.version = std::to_string(plugin->getPluginVersion());
                    e.info.description = description_of(*plugin, od, e.key());
                    e.info.unit = od.unit;
                    e.info.kind = processor_kind::analyzer;
                    e.info.parameters = params;
                    keys.push_back({lib->key(), e.plugin, e.output});
                    entries.push_back(std::move(e));
                }
            } catch (const std::exception& ex) {
                on_skip(plugin_key, ex.what());
            }
        }
    }
    const auto ids = processor_ids(keys);
    for (size_t i = 0; i < entries.size(); ++i) entries[i].info.id = ids[i];
    return entries;
}

const std::deque<output_entry>& installed_outputs() {
    static const std::deque<output_entry> entries = [] {
        auto report = [](const std::string& what, const std::string& reason) {
            std::fputs(fmt::format("timeside: Vamp plugin {} skipped: {}\n", what, reason).c_str(), stderr);
        };
        return describe_outputs(load_libraries(plugin_folders(), report), report);
    }();
    return entries;
}

}  // namespace timeside::vamp

namespace timeside {

void register_vamp_analyzers(registry& r) {
    for (const auto& e : vamp::installed_outputs()) {
        try {
            r.add(e.info, [&e](parameter_set p) { return std::make_shared<vamp::vamp_analyzer>(e, std::move(p)); },
                  processor_origin{processor_origin::kind::vamp, e.lib->path()});
        } catch (const std::exception& ex) {
            // An id a built-in processor already has: the built-in one keeps it.
            std::fputs(fmt::format("timeside: Vamp plugin {} skipped: {}\n", e.key(), ex.what()).c_str(), stderr);
        }
    }
}

}  // namespace timeside
