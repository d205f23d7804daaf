// TOML values map onto the validator's raw values like JSON ones do: booleans, integers, floats
// and strings keep their types; the validator then checks them against the specs.
#include "core/parameters_toml.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include "core/errors.hpp"

namespace timeside {

raw_parameters raw_from_toml(const toml::table& table, std::string_view where) {
    raw_parameters out;
    for (const auto& [key, node] : table) {
        const std::string name(key.str());
        if (auto b = node.as_boolean()) out.emplace_back(name, b->get());
        else if (auto i = node.as_integer()) out.emplace_back(name, static_cast<int64_t>(i->get()));
        else if (auto f = node.as_floating_point()) out.emplace_back(name, f->get());
        else if (auto s = node.as_string()) out.emplace_back(name, s->get());
        else
            throw usage_error(fmt::format("{}: parameter '{}' must be a boolean, number or string", where, name));
    }
    return out;
}

}  // namespace timeside
