// The colormap tables against their published sources: matplotlib's viridis and magma end
// colours, TimeSide's palette anchors (timeside/plugins/grapher/color_schemes.py), and the
// lightness order that makes a level map readable.
#include "graphers/colormaps.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <stdexcept>

using namespace timeside;

namespace {

// Relative luminance (sRGB, ITU-R BT.709 weights) of 0xRRGGBB.
double luminance(uint32_t rgb) {
    auto lin = [](uint32_t c) {
        const double v = c / 255.0;
        return v <= 0.04045 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * lin(rgb >> 16 & 0xff) + 0.7152 * lin(rgb >> 8 & 0xff) + 0.0722 * lin(rgb & 0xff);
}

}  // namespace

TEST_CASE("colormaps offers TimeSide's palette first, then viridis and magma", "[graphers][spectrogram]") {
    REQUIRE(colormap_names().size() == 3);
    CHECK(colormap_names()[0] == "timeside");
    CHECK(colormap_names()[1] == "viridis");
    CHECK(colormap_names()[2] == "magma");
    CHECK_THROWS_AS(colormap("jet"), std::invalid_argument);
    CHECK_THROWS_WITH(colormap("jet"), Catch::Contains("jet") && Catch::Contains("viridis") &&
                                           Catch::Contains("magma") && Catch::Contains("timeside"));
}

TEST_CASE("viridis and magma end on matplotlib's published colours", "[graphers][spectrogram]") {
    // matplotlib's _viridis_data[0] = (0.267004, 0.004874, 0.329415) -> #440154 and [255] =
    // (0.993248, 0.906157, 0.143936) -> #fde725; magma (0.001462, 0.000466, 0.013866) -> #000004
    // and (0.987053, 0.991438, 0.749504) -> #fcfdbf.
    CHECK(colormap("viridis")[0] == 0x440154);
    CHECK(colormap("viridis")[255] == 0xfde725);
    CHECK(colormap("magma")[0] == 0x000004);
    CHECK(colormap("magma")[255] == 0xfcfdbf);
    // The middle entry of viridis, _viridis_data[128] = (0.127568, 0.566949, 0.550556).
    CHECK(colormap("viridis")[128] == 0x21918c);
}

TEST_CASE("TimeSide's palette runs black to white through its anchors", "[graphers][spectrogram]") {
    const auto& t = colormap("timeside");
    CHECK(t[0] == 0x000000);
    CHECK(t[255] == 0xffffff);
    // Entries 85 and 170 fall exactly on the third and fifth anchors, (80/2, 100/2, 153/2)
    // truncated and (224, 224, 44).
    CHECK(t[85] == 0x28324c);
    CHECK(t[170] == 0xe0e02c);
    // Half way between anchors 3 (90, 180, 100) and 4 (224, 224, 44) at entry 127.5: entry 128
    // is 1/85 of the way, (91.57.., 180.5.., 99.3..) truncated.
    CHECK(t[128] == 0x5bb463);
}

TEST_CASE("viridis and magma grow lighter from floor to top", "[graphers][spectrogram]") {
    for (const char* name : {"viridis", "magma"}) {
        INFO(name);
        const auto& t = colormap(name);
        // 8-bit rounding makes two adjacent viridis entries tie or dip by a hair; two steps apart
        // the order is strict everywhere.
        for (size_t i = 0; i + 2 < t.size(); ++i) CHECK(luminance(t[i + 2]) > luminance(t[i]));
        CHECK(luminance(t[255]) > 20 * luminance(t[0]));
    }
}
