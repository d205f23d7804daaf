// waveform_transparent: an ARGB PNG whose background really is transparent (alpha 0) wherever
// there is no signal, with the peaks opaque in their colour; inverted, the other way round.
#include "graphers/waveform_transparent.hpp"

#include <catch2/catch.hpp>
#include <vector>

#include "../test_support.hpp"
#include "waveform_render_support.hpp"

using namespace timeside;
using test::image;

namespace {

constexpr int rate = test::render_rate;

// Loud (0.8) for the first second, silent for the next.
std::vector<float> loud_then_silent() {
    auto s = test::sine(1000, rate, 2 * rate, 1, 0.8);
    std::fill(s.begin() + rate, s.end(), 0.0f);
    return s;
}

}  // namespace

TEST_CASE("waveform_transparent leaves alpha 0 where there is no signal and draws opaque peaks",
          "[graphers][waveforms]") {
    auto g = test::run_grapher("waveform_transparent", "width=200,height=100", loud_then_silent(), 1);
    image img(g->render_bytes());
    REQUIRE(img.has_alpha());
    CHECK(img.width() == 200);
    CHECK(img.height() == 100);
    // Loud half: the peaks span rows 10..89 (0.8 of the half height each way), opaque white;
    // above and below them, nothing.
    for (int x = 2; x < 98; ++x) {
        INFO("loud column " << x);
        CHECK(img.argb(x, 50) == 0xffffffffu);
        CHECK(img.argb(x, 15) == 0xffffffffu);
        CHECK(img.alpha(x, 5) == 0);
        CHECK(img.alpha(x, 95) == 0);
    }
    // Silent half: only the centre row is drawn; every other pixel is fully transparent.
    for (int x = 102; x < 200; ++x) {
        INFO("silent column " << x);
        for (int y = 0; y < 100; ++y) {
            if (y == 50) {
                CHECK(img.argb(x, y) == 0xffffffffu);
            } else {
                CHECK(img.alpha(x, y) == 0);
            }
        }
    }
    // Not blank, not saturated: a few tenths of the image are drawn.
    const double transparent = img.fraction_of(0x00000000u);
    CHECK(transparent > 0.5);
    CHECK(transparent < 0.7);
}

TEST_CASE("waveform_transparent draws in the colour asked", "[graphers][waveforms]") {
    auto g = test::run_grapher("waveform_transparent", "width=64,height=32,color=#ff8000",
                               test::sine(500, rate, rate, 1, 0.5), 1);
    image img(g->render_bytes());
    CHECK(img.argb(32, 16) == 0xffff8000u);
    CHECK(img.alpha(32, 0) == 0);
}

TEST_CASE("waveform_transparent inverted paints everything but the peaks (TimeSide's mask)",
          "[graphers][waveforms]") {
    auto g = test::run_grapher("waveform_transparent", "width=200,height=100,inverted=true",
                               loud_then_silent(), 1);
    image img(g->render_bytes());
    for (int x = 2; x < 98; ++x) {
        INFO("loud column " << x);
        CHECK(img.alpha(x, 50) == 0);
        CHECK(img.alpha(x, 15) == 0);
        CHECK(img.argb(x, 5) == 0xffffffffu);
        CHECK(img.argb(x, 95) == 0xffffffffu);
    }
    for (int x = 102; x < 200; ++x) {
        INFO("silent column " << x);
        CHECK(img.alpha(x, 50) == 0);
        CHECK(img.argb(x, 49) == 0xffffffffu);
        CHECK(img.argb(x, 51) == 0xffffffffu);
    }
}

TEST_CASE("waveform_transparent without data is transparent but for the centre line",
          "[graphers][waveforms]") {
    auto g = get_processor("waveform_transparent", parse_kv_list("width=30,height=10"));
    image img(std::dynamic_pointer_cast<grapher>(g)->render_bytes());
    CHECK(img.fraction_of(0x00000000u) == Approx(0.9));
    for (int x = 0; x < 30; ++x) CHECK(img.argb(x, 5) == 0xffffffffu);
}
