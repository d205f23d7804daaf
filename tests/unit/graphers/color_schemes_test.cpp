// TimeSide's colour schemes: the stops as TimeSide lists them, and the 256-entry palette
// interpolated between them, checked at the stops and between them by hand-computed values.
#include "graphers/color_schemes.hpp"

#include <catch2/catch.hpp>

#include "core/errors.hpp"
#include "graphers/waveform_centroid.hpp"

using namespace timeside;

TEST_CASE("colour schemes are TimeSide's four, default first", "[graphers][waveforms]") {
    CHECK(color_scheme_names() == std::vector<std::string>{"default", "iso", "purple", "awdio"});
    const auto d = color_scheme_stops("default");
    REQUIRE(d.size() == 4);
    CHECK(d[0] == rgb{50, 0, 200});
    CHECK(d[3] == rgb{255, 0, 0});
    CHECK(color_scheme_stops("iso")[1] == rgb{0, 255, 255});
    CHECK(color_scheme_stops("purple")[3] == rgb{108, 66, 0});
    CHECK(color_scheme_stops("awdio")[2] == rgb{255, 255, 255});
    CHECK_THROWS_AS(color_scheme_stops("viridis"), std::invalid_argument);
}

TEST_CASE("a palette runs through its stops at entries 0, 85, 170 and 255", "[graphers][waveforms]") {
    for (const auto& name : color_scheme_names()) {
        INFO(name);
        const auto stops = color_scheme_stops(name);
        const auto p = make_palette(stops);
        CHECK(p[0] == stops[0]);
        CHECK(p[85] == stops[1]);
        CHECK(p[170] == stops[2]);
        CHECK(p[255] == stops[3]);
    }
    // Between stops: entry 1 of default sits 1/85 of the way from (50,0,200) to (0,220,80):
    // 50 - 50/85 = 49.41, 220/85 = 2.59, 200 - 120/85 = 198.59, each truncated.
    const auto p = make_palette(color_scheme_stops("default"));
    CHECK(p[1] == rgb{49, 2, 198});
    // Entry 200: 30/85 past (255,224,0) towards (255,0,0): g = 224 * 55/85 = 144.9.
    CHECK(p[200] == rgb{255, 144, 0});
}

TEST_CASE("palette_at indexes int(v * 255) and clamps out of range or NaN", "[graphers][waveforms]") {
    const auto p = make_palette(color_scheme_stops("iso"));
    CHECK(palette_at(p, 0.5) == p[127]);
    CHECK(palette_at(p, 1.0) == p[255]);
    CHECK(palette_at(p, 2.0) == p[255]);
    CHECK(palette_at(p, -1.0) == p[0]);
    CHECK(palette_at(p, std::nan("")) == p[0]);
}

TEST_CASE("an unknown color_scheme is a usage error listing the schemes", "[graphers][waveforms]") {
    const auto& specs = waveform_centroid::describe().parameters;
    CHECK_THROWS_AS(validate_parameters("waveform_centroid", specs, {{"color_scheme", "viridis"}}),
                    usage_error);
    CHECK_THROWS_WITH(validate_parameters("waveform_centroid", specs, {{"color_scheme", "viridis"}}),
                      Catch::Contains("color_scheme") && Catch::Contains("default, iso, purple, awdio"));
}
