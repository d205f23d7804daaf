// waveform_contour_black / _white: the contour's shape against its definition on envelopes
// whose smoothing and normalisation are known by hand, the four greys and scales TimeSide draws,
// and the renders: contours reach as far as the envelope does, silence is the centre line.
#include "graphers/waveform_contours.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "../test_support.hpp"
#include "waveform_render_support.hpp"

using namespace timeside;
using test::image;

namespace {

constexpr int rate = test::render_rate;

// Amplitude stepping up, one level per quarter: silence, then 0.3, 0.6 and 1.0 of full scale.
std::vector<float> staircase(int64_t frames) {
    auto s = test::sine(700, rate, frames, 1, 1.0);
    for (size_t i = 0; i < s.size(); ++i) {
        const int quarter = static_cast<int>(4 * i / s.size());
        s[i] *= std::array<float, 4>{0.0f, 0.3f, 0.6f, 1.0f}[static_cast<size_t>(quarter)];
    }
    return s;
}

}  // namespace

TEST_CASE("contour shape: relative to the loudest column, bent by expm1, smoothed only across changes",
          "[graphers][waveforms]") {
    auto bent = [](double u) { return std::expm1(u) / std::expm1(1.0) * (1 - 1e-6); };
    // A step from 0.2 to 0.8: far from the step the smoothed envelope is flat, at 0.25 and 1 of
    // the loudest column.
    std::vector<float> lo(100), hi(100);
    for (int x = 0; x < 100; ++x) hi[x] = x < 50 ? 0.2f : 0.8f, lo[x] = -hi[x];
    auto c = contour_shape(lo, hi);
    REQUIRE(c.size() == 100);
    for (int x = 0; x < 40; ++x) CHECK(c[x] == Approx(bent(0.25)));
    for (int x = 60; x < 100; ++x) CHECK(c[x] == Approx(bent(1.0)));
    for (int x = 1; x < 100; ++x) CHECK(c[x] >= c[x - 1] - 1e-12);
    // At the step the smoothing is symmetric about it: half way up (0.625) before expm1, within
    // the one column the step straddles.
    CHECK(((c[49] + c[50]) / 2) == Approx(bent(0.625)).margin(0.05));

    // A linear ramp stays linear inside (a Hann average of a line is the line; the odd reflection
    // keeps it so at the ends), so the shape is expm1 of the ramp over its top exactly.
    std::vector<float> rlo(64), rhi(64);
    for (int x = 0; x < 64; ++x) rhi[x] = 0.1f + 0.8f * x / 63.0f, rlo[x] = 0;
    auto r = contour_shape(rlo, rhi);
    for (int x = 0; x < 64; ++x) {
        INFO("column " << x);
        CHECK(r[x] == Approx(bent((0.1 + 0.8 * x / 63.0) / 0.9)).margin(1e-5));
    }
    // A constant envelope with a 0.1 % ripple stays flat at the top (no blow-up of the ripple).
    std::vector<float> wlo(50), whi(50);
    for (int x = 0; x < 50; ++x) whi[x] = x % 2 ? 0.9f : 0.899f, wlo[x] = -whi[x];
    for (double v : contour_shape(wlo, whi)) CHECK(v == Approx(bent(1.0)).margin(0.002));
}

TEST_CASE("contour shape is NaN-free on silence, flat envelopes and NaN peaks", "[graphers][waveforms]") {
    std::vector<float> zero(30, 0.0f);
    for (double v : contour_shape(zero, zero)) CHECK(v == 0.0);
    std::vector<float> flat_lo(30, -0.5f), flat_hi(30, 0.5f);
    for (double v : contour_shape(flat_lo, flat_hi)) CHECK(v == Approx(1 - 1e-6));
    std::vector<float> nan(5, std::numeric_limits<float>::quiet_NaN());
    for (double v : contour_shape(nan, nan)) CHECK(std::isfinite(v));
    CHECK(contour_shape(std::vector<float>{0.3f}, std::vector<float>{0.3f}).size() == 1);
}

TEST_CASE("contours use TimeSide's four scales and greys", "[graphers][waveforms]") {
    // arccos(i/4) * 2/pi, multiplied up: 1, 0.8391, 0.5594, 0.2573.
    CHECK(contour_scale(0) == Approx(1.0));
    CHECK(contour_scale(1) == Approx(0.8391).margin(1e-4));
    CHECK(contour_scale(2) == Approx(0.5594).margin(1e-4));
    CHECK(contour_scale(3) == Approx(0.2573).margin(1e-4));
    // 255 - int(255 * (1 - i/8)) + offset: 160 192 224 255 on black, 60 92 124 156 on white.
    CHECK(std::vector<int>{contour_grey(0, 160), contour_grey(1, 160), contour_grey(2, 160),
                           contour_grey(3, 160)} == std::vector<int>{160, 192, 224, 255});
    CHECK(std::vector<int>{contour_grey(0, 60), contour_grey(1, 60), contour_grey(2, 60),
                           contour_grey(3, 60)} == std::vector<int>{60, 92, 124, 156});
}

TEST_CASE("waveform_contour_black and _white draw the envelope's contours on their background",
          "[graphers][waveforms]") {
    for (auto [id, background] : {std::pair<const char*, uint32_t>{"waveform_contour_black", 0xff000000u},
                                  {"waveform_contour_white", 0xffffffffu}}) {
        INFO(id);
        auto g = test::run_grapher(id, "width=256,height=128", staircase(2 * rate), 1);
        image img(g->render_bytes());
        CHECK(img.width() == 256);
        CHECK(img.height() == 128);
        CHECK(img.argb(0, 0) == background);
        // Lines, not fills: most of the image is background, but not all of it.
        const double bg = img.fraction_of(background);
        CHECK(bg > 0.85);
        CHECK(bg < 0.99);
        // The silent quarter is a flat shape of 0: all four contours on the centre row (64). The
        // second reads 0.3 of the loudest: its outer contour 63 * (e^0.3 - 1) / (e - 1) = 12.8
        // rows from the centre line at 64.5 (rows 51 and 77). The loudest is 1: the outer contour
        // 63 rows above and below it (rows 1 and 127), in TimeSide's outer grey (160 on black,
        // 60 on white).
        const int outer_grey = background == 0xff000000u ? 160 : 60;
        for (int x = 8; x < 56; ++x) {
            INFO("silent column " << x);
            auto e = img.column_extent(x, background);
            CHECK(e.rows() == 1);
            CHECK(e.top == 64);
        }
        const double reach = 63 * std::expm1(0.3) / std::expm1(1.0);
        for (int x = 72; x < 120; ++x) {
            INFO("0.3 column " << x);
            auto e = img.column_extent(x, background);
            CHECK(std::abs(e.top - static_cast<int>(64.5 - reach)) <= 1);
            CHECK(std::abs(e.bottom - static_cast<int>(64.5 + reach)) <= 1);
        }
        for (int x = 200; x < 248; ++x) {
            INFO("loud column " << x);
            auto e = img.column_extent(x, background);
            CHECK(e.top == 1);
            CHECK(e.bottom == 127);
            for (int y : {e.top, e.bottom}) {
                const uint32_t c = img.rgb(x, y);
                CHECK(std::abs(static_cast<int>(c & 0xff) - outer_grey) <= 1);
                CHECK((c & 0xff) == ((c >> 16) & 0xff));
            }
        }
    }
}

TEST_CASE("waveform_contour on silence is the centre line, NaN-free", "[graphers][waveforms]") {
    for (bool known : {true, false}) {
        auto g = test::run_grapher("waveform_contour_white", "width=64,height=32",
                                   std::vector<float>(20000, 0.0f), 1, known);
        image img(g->render_bytes());
        for (int x = 0; x < 64; ++x) {
            auto e = img.column_extent(x, 0xffffffffu);
            CHECK(e.rows() == 1);
            CHECK(e.top == 16);
        }
    }
}
