// TOML tables as raw parameters (presets, the server's config), in their own unit so that
// toml++'s heavy header is compiled once.
#pragma once

#include <string_view>

#include "core/parameters.hpp"

namespace toml {
inline namespace v3 {
class table;
}
}  // namespace toml

namespace timeside {

// Every key of `table` as a raw parameter; `where` (a file and table name) prefixes errors.
// Nested tables and arrays are usage errors: parameters are scalars.
raw_parameters raw_from_toml(const toml::table& table, std::string_view where);

}  // namespace timeside
