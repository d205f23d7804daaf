// Where the project's data folders (presets/, web/, streams/) are found when no option names
// them: $TIMESIDE_<NAME>, else the binary's own installation (bin/../share/timeside/<name>), else
// the source tree's <name>/ (running in place), else the configured install prefix's.
#pragma once

#include <filesystem>
#include <string>

namespace timeside {

// `name`: "presets", "web", "streams"; `env`: the variable that overrides it ("TIMESIDE_WEB").
// `explicit_dir`, when not empty, wins.
std::filesystem::path default_data_dir(const std::string& name, const char* env, const std::string& explicit_dir = {});

}  // namespace timeside
