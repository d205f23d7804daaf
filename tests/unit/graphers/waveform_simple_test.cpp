// waveform_simple through a real pipe: the PNG is decoded back and its pixels checked for what a
// user sees (size, background, how tall the peaks are drawn, where the silence is).
#include "graphers/waveform_simple.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "../array_source.hpp"
#include "../test_support.hpp"
#include "core/errors.hpp"
#include "core/pipe.hpp"
#include "core/registry.hpp"
#include "decoders/array_decoder.hpp"
#include "graphers/png_surface.hpp"

using namespace timeside;

namespace {

constexpr int rate = 44100;
constexpr uint32_t white = 0xffffff, black = 0x000000;

std::shared_ptr<waveform_simple> make_grapher(const raw_parameters& params = {}) {
    return std::make_shared<waveform_simple>(
        validate_parameters("waveform_simple", waveform_simple::describe().parameters, params));
}

std::vector<unsigned char> render(std::vector<float> samples, int channels, const raw_parameters& params = {},
                                  bool known_length = true) {
    auto g = make_grapher(params);
    auto d = test::make_source(std::move(samples), channels, known_length, rate, known_length ? 8192 : 1000);
    timeside::pipe p(d);
    p.add(g);
    p.run();
    return g->render_bytes();
}

// The rows a column draws on: the first and last whose pixel is not the background; -1 if none.
struct extent {
    int top = -1, bottom = -1;
    int rows() const { return top < 0 ? 0 : bottom - top + 1; }
};

extent column_extent(cairo_surface_t* s, int x, uint32_t background = white) {
    extent e;
    for (int y = 0; y < cairo_image_surface_get_height(s); ++y) {
        if (pixel_rgb(s, x, y) == background) continue;
        if (e.top < 0) e.top = y;
        e.bottom = y;
    }
    return e;
}

}  // namespace

TEST_CASE("waveform_simple is registered under TimeSide's id with its parameters", "[graphers]") {
    auto p = get_processor("waveform_simple", parse_kv_list("width=300,height=50"));
    CHECK(p->kind() == processor_kind::grapher);
    CHECK(p->info().name == "Waveform simple");
    CHECK(p->info().version == "1.0");
    auto g = std::dynamic_pointer_cast<grapher>(p);
    REQUIRE(g);
    auto img = decode_png(g->render_bytes());
    CHECK(cairo_image_surface_get_width(img.get()) == 300);
    CHECK(cairo_image_surface_get_height(img.get()) == 50);
}

TEST_CASE("waveform_simple rejects bad parameters, naming them", "[graphers]") {
    const auto& specs = waveform_simple::describe().parameters;
    CHECK_THROWS_AS(validate_parameters("waveform_simple", specs, {{"width", "0"}}), usage_error);
    CHECK_THROWS_WITH(validate_parameters("waveform_simple", specs, {{"width", "0"}}),
                      Catch::Contains("width"));
    CHECK_THROWS_AS(validate_parameters("waveform_simple", specs, {{"width", "100000"}}), usage_error);
    CHECK_THROWS_WITH(validate_parameters("waveform_simple", specs, {{"width", "100000"}}),
                      Catch::Contains("width") && Catch::Contains("16384"));
    CHECK_THROWS_AS(validate_parameters("waveform_simple", specs, {{"height", int64_t{0}}}), usage_error);
    CHECK_THROWS_WITH(validate_parameters("waveform_simple", specs, {{"bg_color", "nope"}}),
                      Catch::Contains("bg_color") && Catch::Contains("nope"));
    CHECK_THROWS_AS(validate_parameters("waveform_simple", specs, {{"bg_color", "nope"}}), usage_error);
}

TEST_CASE("waveform_simple renders at the size asked, background in the corners", "[graphers]") {
    auto png = render(test::sine(1000, rate, rate, 1, 0.5), 1, parse_kv_list("width=400,height=120"));
    REQUIRE(png.size() > 8);
    CHECK(png[1] == 'P');
    auto img = decode_png(png);
    CHECK(cairo_image_surface_get_width(img.get()) == 400);
    CHECK(cairo_image_surface_get_height(img.get()) == 120);
    for (auto [x, y] : {std::pair{0, 0}, {399, 0}, {0, 119}, {399, 119}})
        CHECK(pixel_rgb(img.get(), x, y) == white);

    auto defaults = decode_png(render(test::sine(1000, rate, rate, 1, 0.5), 1));
    CHECK(cairo_image_surface_get_width(defaults.get()) == 1024);
    CHECK(cairo_image_surface_get_height(defaults.get()) == 256);
}

TEST_CASE("waveform_simple draws in its colours", "[graphers]") {
    auto img = decode_png(render(test::sine(1000, rate, rate, 2, 0.5), 2,
                                 parse_kv_list("width=200,height=100,bg_color=#102030,color=#ff8000")));
    CHECK(pixel_rgb(img.get(), 0, 0) == 0x102030);
    CHECK(pixel_rgb(img.get(), 199, 99) == 0x102030);
    CHECK(pixel_rgb(img.get(), 100, 50) == 0xff8000);
}

TEST_CASE(
    "waveform_simple draws a full-scale sine over nearly the full height, half scale over the middle half",
    "[graphers]") {
    const int h = 256;
    auto full = decode_png(render(test::sine(1000, rate, 2 * rate, 1, 1.0), 1, parse_kv_list("width=512")));
    auto half = decode_png(render(test::sine(1000, rate, 2 * rate, 1, 0.5), 1, parse_kv_list("width=512")));
    for (int x : {0, 1, 100, 255, 256, 400, 511}) {
        INFO("column " << x);
        auto f = column_extent(full.get(), x);
        CHECK(f.top <= 1);
        CHECK(f.bottom >= h - 2);
        CHECK(pixel_rgb(full.get(), x, h / 2) == black);
        auto m = column_extent(half.get(), x);
        CHECK(std::abs(m.top - h / 4) <= 2);
        CHECK(std::abs(m.bottom - (3 * h / 4 - 1)) <= 2);
        CHECK(pixel_rgb(half.get(), x, h / 2) == black);
    }
}

TEST_CASE("waveform_simple shows silence as a thin centre line", "[graphers]") {
    // Loud for one second, silent for the next.
    auto s = test::sine(1000, rate, 2 * rate, 1, 0.8);
    std::fill(s.begin() + rate, s.end(), 0.0f);
    const int w = 200, h = 100;
    auto img = decode_png(render(s, 1, parse_kv_list("width=200,height=100")));
    for (int x = 0; x < w / 2 - 1; ++x) {
        INFO("loud column " << x);
        CHECK(column_extent(img.get(), x).rows() >= static_cast<int>(0.75 * h));
    }
    for (int x = w / 2 + 1; x < w; ++x) {
        INFO("silent column " << x);
        auto e = column_extent(img.get(), x);
        CHECK(e.rows() >= 1);
        CHECK(e.rows() <= 2);
        CHECK(std::abs(e.top - h / 2) <= 1);
    }
}

TEST_CASE("waveform_simple mixes channels down before drawing", "[graphers]") {
    auto s = test::sine(1000, rate, rate, 2, 1.0);
    for (size_t i = 1; i < s.size(); i += 2) s[i] = -s[i];  // right in opposition to left
    auto img = decode_png(render(s, 2, parse_kv_list("width=100,height=64")));
    for (int x = 0; x < 100; ++x) CHECK(column_extent(img.get(), x).rows() == 1);
}

TEST_CASE("waveform_simple without data renders the centre line and never fails", "[graphers]") {
    auto fresh = make_grapher(parse_kv_list("width=64,height=32"));
    auto before = decode_png(fresh->render_bytes());  // no setup, no blocks
    auto empty = decode_png(render({}, 1, parse_kv_list("width=64,height=32")));
    for (auto* img : {before.get(), empty.get()}) {
        for (int x = 0; x < 64; ++x) {
            auto e = column_extent(img, x);
            CHECK(e.rows() == 1);
            CHECK(e.top == 16);
        }
    }
    auto one_pixel = decode_png(render(test::sine(1000, rate, 100, 1), 1, parse_kv_list("width=1,height=1")));
    CHECK(cairo_image_surface_get_width(one_pixel.get()) == 1);
}

TEST_CASE("waveform_simple draws the same picture when the length is unknown", "[graphers]") {
    // 256 * 2^7 frames: the doubling spans land exactly on the known-length columns.
    auto s = test::sine(440, rate, 256 * 128, 2, 0.7);
    for (size_t i = 0; i < s.size(); ++i) s[i] *= static_cast<float>(i) / static_cast<float>(s.size());
    const auto params = parse_kv_list("width=256,height=64");
    CHECK(render(s, 2, params, false) == render(s, 2, params, true));

    // Any other length still fills the width.
    auto odd = decode_png(render(test::sine(1000, rate, 12345, 1, 0.9), 1, params, false));
    for (int x : {0, 128, 255}) CHECK(column_extent(odd.get(), x).rows() > 50);
}

TEST_CASE("waveform_simple writes its PNG to a file", "[graphers]") {
    test::temp_dir dir;
    auto g = make_grapher(parse_kv_list("width=32,height=16"));
    g->render(dir / "x.waveform_simple.png");
    CHECK(std::filesystem::file_size(dir / "x.waveform_simple.png") == g->render_bytes().size());
}
