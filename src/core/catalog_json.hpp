// The processor and preset catalog as JSON: what `timeside list --json` prints and what the
// server answers on /api/processors and /api/presets, from one place so they cannot drift apart.
#pragma once

#include <nlohmann/json.hpp>

#include "core/presets.hpp"

namespace timeside {

// Every registered processor with its parameter schemas, by kind then id.
nlohmann::json processors_json();
// Every preset: id, kind "preset", description, processor, parameters.
nlohmann::json presets_json(const preset_library& presets);
// processors_json() followed by presets_json(): `timeside list --json`.
nlohmann::json catalog_json(const preset_library& presets);

}  // namespace timeside
