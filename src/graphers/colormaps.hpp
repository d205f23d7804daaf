// Colormaps for the spectrogram renders: 256-entry tables indexed by level, 0 the floor (at or
// below -dynamic_range dB) and 255 the top (0 dB). TimeSide's own palette, and matplotlib's
// perceptually uniform viridis and magma.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace timeside {

using colormap_table = std::array<uint32_t, 256>;  // 0xRRGGBB

// The names a `colormap` parameter accepts, the default first.
const std::vector<std::string>& colormap_names();

// The table of a named colormap; throws std::invalid_argument naming the valid ones.
const colormap_table& colormap(std::string_view name);

}  // namespace timeside
