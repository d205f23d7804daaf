// What every waveform render shares: sizes, parameter errors, not blank and not saturated,
// split_channels lanes (a loud left and a silent right channel show signal in the top lane only),
// and an unknown length that still fills the width.
#include "graphers/waveform_family.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "../test_support.hpp"
#include "core/errors.hpp"
#include "waveform_render_support.hpp"

using namespace timeside;
using test::image;

namespace {

constexpr int rate = test::render_rate;

struct member {
    const char* id;
    uint32_t background;  // 0xAARRGGBB
};
const std::vector<member> family{{"waveform_simple", 0xffffffffu},
                                 {"waveform_centroid", 0xff000000u},
                                 {"waveform_transparent", 0x00000000u},
                                 {"waveform_contour_black", 0xff000000u},
                                 {"waveform_contour_white", 0xffffffffu}};

}  // namespace

TEST_CASE("lanes split the height into bands that differ by a row at most", "[graphers][waveforms]") {
    CHECK(lane_of(0, 1, 256).top == 0);
    CHECK(lane_of(0, 1, 256).height == 256);
    CHECK(lane_of(1, 2, 101).top == 50);
    CHECK(lane_of(1, 2, 101).height == 51);
    int covered = 0;
    for (int i = 0; i < 6; ++i) {
        const auto r = lane_of(i, 6, 100);
        CHECK(r.top == covered);
        CHECK((r.height == 16 || r.height == 17));
        covered += r.height;
    }
    CHECK(covered == 100);
    CHECK_THROWS_AS(lane_of(2, 2, 100), std::invalid_argument);
}

TEST_CASE("every waveform render has TimeSide's default size and the size asked", "[graphers][waveforms]") {
    for (const auto& m : family) {
        INFO(m.id);
        auto g = test::run_grapher(m.id, "", test::sine(440, rate, rate / 4, 1, 0.5), 1);
        image defaults(g->render_bytes());
        CHECK(defaults.width() == 1024);
        CHECK(defaults.height() == 256);
        CHECK(g->extension() == "png");
        CHECK(g->media_type() == "image/png");
        auto small =
            test::run_grapher(m.id, "width=333,height=77", test::sine(440, rate, rate / 4, 1, 0.5), 1);
        image sized(small->render_bytes());
        CHECK(sized.width() == 333);
        CHECK(sized.height() == 77);
        auto tiny = test::run_grapher(m.id, "width=1,height=1", test::sine(440, rate, 100, 1), 1);
        CHECK(image(tiny->render_bytes()).width() == 1);
    }
}

TEST_CASE("every waveform render refuses bad sizes and flags, naming the parameter and its range",
          "[graphers][waveforms]") {
    for (const auto& m : family) {
        INFO(m.id);
        for (const char* bad : {"width=0", "width=100000"}) {
            CHECK_THROWS_AS(get_processor(m.id, parse_kv_list(bad)), usage_error);
            CHECK_THROWS_WITH(get_processor(m.id, parse_kv_list(bad)),
                              Catch::Contains("width") && Catch::Contains("1 to 16384"));
        }
        CHECK_THROWS_WITH(get_processor(m.id, parse_kv_list("height=5000")),
                          Catch::Contains("height") && Catch::Contains("1 to 4096"));
        CHECK_THROWS_WITH(get_processor(m.id, parse_kv_list("split_channels=perhaps")),
                          Catch::Contains("split_channels"));
    }
}

TEST_CASE("every waveform render of a half-scale sine is neither blank nor saturated",
          "[graphers][waveforms]") {
    for (const auto& m : family) {
        INFO(m.id);
        auto g = test::run_grapher(m.id, "width=200,height=100", test::sine(300, rate, rate, 2, 0.5), 2);
        image img(g->render_bytes());
        const double background = img.fraction_of(m.background);
        CHECK(background > 0.3);
        CHECK(background < 0.99);
    }
}

TEST_CASE(
    "split_channels draws a loud left channel in the top lane and a silent right one as its centre line",
    "[graphers][waveforms]") {
    auto s = test::sine(1000, rate, rate, 2, 0.8);
    for (size_t i = 1; i < s.size(); i += 2) s[i] = 0.0f;
    for (const auto& m : family) {
        INFO(m.id);
        auto split =
            test::run_grapher<waveform_grapher>(m.id, "width=120,height=100,split_channels=true", s, 2);
        CHECK(split->lanes() == 2);
        image img(split->render_bytes());
        for (int x = 5; x < 115; ++x) {
            INFO("column " << x);
            // Top lane, rows 0-49, centred on row 25: the 0.8 sine reaches well beyond 15 rows.
            const auto top = img.column_extent(x, m.background, 0, 50);
            CHECK(top.rows() >= 30);
            // Bottom lane, rows 50-99: only its centre row, 75.
            const auto bottom = img.column_extent(x, m.background, 50, 100);
            CHECK(bottom.rows() == 1);
            CHECK(bottom.top == 75);
        }
        // Without split_channels the same file is one lane of the mixdown, centred on row 50.
        auto mixed = test::run_grapher<waveform_grapher>(m.id, "width=120,height=100", s, 2);
        CHECK(mixed->lanes() == 1);
        image one(mixed->render_bytes());
        const auto e = one.column_extent(60, m.background);
        CHECK(e.top < 45);
        CHECK(e.bottom > 55);
    }
}

TEST_CASE("split_channels with fewer rows than channels is a usage error naming height",
          "[graphers][waveforms]") {
    for (const auto& m : family) {
        INFO(m.id);
        auto g = std::dynamic_pointer_cast<consumer>(
            get_processor(m.id, parse_kv_list("height=2,split_channels=true")));
        stream_info three;
        three.format = {rate, 3};
        CHECK_THROWS_AS(g->setup(three), usage_error);
        CHECK_THROWS_WITH(g->setup(three), Catch::Contains("height must be at least 3"));
        stream_info two;
        two.format = {rate, 2};
        CHECK_NOTHROW(g->setup(two));
    }
}

TEST_CASE("every waveform render of an unknown length still fills the width", "[graphers][waveforms]") {
    for (const auto& m : family) {
        INFO(m.id);
        auto g =
            test::run_grapher(m.id, "width=256,height=64", test::sine(1000, rate, 37035, 1, 0.9), 1, false);
        image img(g->render_bytes());
        for (int x : {0, 64, 128, 200, 255}) {
            INFO("column " << x);
            CHECK(img.column_extent(x, m.background).rows() > 50);
        }
    }
}

TEST_CASE("every waveform render of silence or no data is its background and a centre line",
          "[graphers][waveforms]") {
    for (const auto& m : family) {
        INFO(m.id);
        auto silent = test::run_grapher(m.id, "width=50,height=20", std::vector<float>(10000, 0.0f), 1);
        auto fresh =
            std::dynamic_pointer_cast<grapher>(get_processor(m.id, parse_kv_list("width=50,height=20")));
        for (const auto& png : {silent->render_bytes(), fresh->render_bytes()}) {
            image img(png);
            for (int x = 0; x < 50; ++x) {
                const auto e = img.column_extent(x, m.background);
                CHECK(e.rows() == 1);
                CHECK(e.top == 10);
            }
        }
    }
}
