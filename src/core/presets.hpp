// Named processor configurations (`presets/opus-64k.toml`): usable wherever a SPEC is
// (`timeside run IN opus-64k`, later `?preset=` on the server). A preset naming an unknown
// processor or a bad value fails when the folder is loaded, naming the file and the key.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/spec.hpp"

namespace timeside {

struct preset {
    std::string name;  // the file's stem: opus-64k
    std::string description;
    std::string processor;
    raw_parameters parameters;
    std::filesystem::path file;
};

class preset_library {
public:
    // Loads every *.toml in `dir` (none if it does not exist); throws usage_error naming the
    // file (and line, or key) of the first bad one.
    static preset_library load(const std::filesystem::path& dir);

    const preset* find(const std::string& name) const;
    const std::map<std::string, preset>& all() const { return presets_; }

    // A spec naming a processor stays as it is; one naming a preset becomes the preset's
    // processor with the preset's parameters, then the spec's own (`opus-64k:complexity=5`).
    // Anything else is a usage_error listing the valid processors and presets.
    processor_spec resolve(const processor_spec& spec) const;

private:
    std::map<std::string, preset> presets_;
};

// Where presets are looked for: `explicit_dir` if given, else $TIMESIDE_PRESETS, else the data
// directory of the installation the running binary belongs to (bin/../share/timeside/presets,
// so a package staged with DESTDIR or moved elsewhere finds its own), else the source tree's
// presets/ (a build run in place), else the configured install path.
std::filesystem::path default_presets_dir(const std::string& explicit_dir = {});

}  // namespace timeside
