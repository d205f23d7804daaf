// `timeside list [--json]`: the processors by kind, then the presets; --json adds the processors'
// parameter schemas.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "core/catalog_json.hpp"
#include "core/plugin_loader.hpp"
#include "core/presets.hpp"
#include "core/registry.hpp"

namespace timeside::cli {

void add_list(CLI::App& app, int& exit_code) {
    auto* cmd = app.add_subcommand("list", "List the processors by kind");
    auto json = std::make_shared<bool>(false);
    auto presets_dir = std::make_shared<std::string>();
    cmd->add_flag("--json", *json, "JSON, with each processor's parameters");
    cmd->add_option("--presets", *presets_dir, "presets folder (default: $TIMESIDE_PRESETS, else presets/)");
    cmd->callback([json, presets_dir, &exit_code] {
        load_default_plugins({});
        const auto presets = preset_library::load(default_presets_dir(*presets_dir));
        if (!*json) {
            fmt::print("{}", list_processors());
            if (!presets.all().empty()) fmt::print("Presets\n=======\n");
            for (const auto& [name, p] : presets.all()) {
                std::vector<std::string> kv;
                for (const auto& [k, v] : p.parameters)
                    kv.push_back(k + "=" + std::visit([](const auto& x) { return fmt::format("{}", x); }, v));
                fmt::print("  * {}: {} ({}{}{})\n", name, p.description, p.processor, kv.empty() ? "" : ":",
                           fmt::join(kv, ","));
            }
        } else {
            const nlohmann::json out = catalog_json(presets);
            fmt::print("{}\n", out.dump(2));
        }
        exit_code = 0;
    });
}

}  // namespace timeside::cli
