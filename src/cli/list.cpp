// `timeside list [--json]`: the processors by kind; --json adds their parameter schemas.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "core/registry.hpp"

namespace timeside::cli {

void add_list(CLI::App& app, int& exit_code) {
    auto* cmd = app.add_subcommand("list", "List the processors by kind");
    auto json = std::make_shared<bool>(false);
    cmd->add_flag("--json", *json, "JSON, with each processor's parameters");
    cmd->callback([json, &exit_code] {
        if (!*json) {
            fmt::print("{}", list_processors());
        } else {
            nlohmann::json out = nlohmann::json::array();
            for (const auto* info : default_registry().list()) {
                nlohmann::json params = nlohmann::json::array();
                for (const auto& p : info->parameters) params.push_back(p.schema());
                out.push_back({{"id", info->id},
                               {"name", info->name},
                               {"version", info->version},
                               {"kind", to_string(info->kind)},
                               {"description", info->description},
                               {"unit", info->unit},
                               {"parameters", params}});
            }
            fmt::print("{}\n", out.dump(2));
        }
        exit_code = 0;
    });
}

}  // namespace timeside::cli
