// TimeSide's colour schemes for the waveform renders (`default`, `iso`, `purple`, `awdio`): four
// colour stops each, spread over a 256-entry palette by linear interpolation as TimeSide does.
#pragma once

#include <array>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/parameters.hpp"

namespace timeside {

// The schemes' names, in TimeSide's order; "default" first.
const std::vector<std::string>& color_scheme_names();

// The waveform colour stops of a scheme; throws std::invalid_argument for an unknown name
// (parameters are validated before, so this is a programming error).
std::span<const rgb> color_scheme_stops(std::string_view scheme);

// The `color_scheme` parameter: a choice among the schemes, "default" by default.
parameter_spec color_scheme_param();

// 256 colours: entry i sits at i * (stops - 1) / 255 along the stops and mixes the two around it
// linearly, each channel truncated to an integer (TimeSide's interpolate_colors).
using palette = std::array<rgb, 256>;
palette make_palette(std::span<const rgb> stops);

// The entry for a position in [0, 1] (TimeSide indexes int(v * 255)); out of range or NaN clamps.
rgb palette_at(const palette& p, double v);

}  // namespace timeside
