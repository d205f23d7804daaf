// waveform_centroid: the centroid per column against a direct DFT of the same frames computed
// here in double, the drawn colours against TimeSide's palette and log scale, sines against their
// own frequency, and the unknown-length and longer-than-announced paths.
#include "graphers/waveform_centroid.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "../test_support.hpp"
#include "graphers/color_schemes.hpp"
#include "waveform_render_support.hpp"

using namespace timeside;
using test::image;

namespace {

constexpr int rate = test::render_rate;
constexpr int window = 2048;

// sin(2 pi phi(t)) with phi' going linearly from f0 to f1.
std::vector<float> chirp(double f0, double f1, int64_t frames, double amplitude = 0.6) {
    std::vector<float> out(static_cast<size_t>(frames));
    const double seconds = static_cast<double>(frames) / rate;
    for (int64_t i = 0; i < frames; ++i) {
        const double t = static_cast<double>(i) / rate;
        const double phase = 2 * M_PI * (f0 * t + (f1 - f0) * t * t / (2 * seconds));
        out[static_cast<size_t>(i)] = static_cast<float>(amplitude * std::sin(phase));
    }
    return out;
}

// The definition, computed independently: frames of `window` samples starting every `hop`
// samples from 0 while they fit, plus one ending on the last sample if the hops stepped over some;
// Hann-weighted; a direct DFT in double; each frame's sum |X_k| and sum |X_k| f_k go to the column
// [floor(x T / w), floor((x + 1) T / w)) holding its centre; a column's centroid is their ratio.
std::vector<double> direct_centroids(const std::vector<float>& s, int width, int hop) {
    const auto total = static_cast<int64_t>(s.size());
    std::vector<int64_t> starts;
    for (int64_t start = 0; start + window <= total; start += hop) starts.push_back(start);
    if (starts.empty())
        starts.push_back(0);
    else if (starts.back() + window < total)
        starts.push_back(total - window);
    std::vector<double> cosine(window), sine(window), hann(window);
    for (int i = 0; i < window; ++i) {
        cosine[i] = std::cos(2 * M_PI * i / window);
        sine[i] = std::sin(2 * M_PI * i / window);
        hann[i] = 0.5 - 0.5 * std::cos(2 * M_PI * i / window);
    }
    std::vector<double> magnitude(static_cast<size_t>(width)), weighted(static_cast<size_t>(width));
    std::vector<double> frame(window);
    for (int64_t start : starts) {
        const int64_t c = std::min(start + window / 2, total - 1);
        int column = 0;
        while (!(c >= column * total / width && c < (column + 1) * total / width)) ++column;
        for (int i = 0; i < window; ++i) {
            const int64_t p = start + i;
            frame[i] = p >= total ? 0.0 : s[static_cast<size_t>(p)] * hann[i];
        }
        for (int k = 0; k <= window / 2; ++k) {
            double re = 0, im = 0;
            for (int i = 0; i < window; ++i) {
                const int m = static_cast<int>((static_cast<int64_t>(k) * i) % window);
                re += frame[i] * cosine[m];
                im -= frame[i] * sine[m];
            }
            const double mag = std::sqrt(re * re + im * im);
            magnitude[static_cast<size_t>(column)] += mag;
            weighted[static_cast<size_t>(column)] += mag * k * static_cast<double>(rate) / window;
        }
    }
    std::vector<double> out(static_cast<size_t>(width));
    // A column no frame is centred in shows the next column's value (the last column's past the
    // last centre).
    for (size_t x = 0; x < out.size(); ++x) {
        size_t from = x;
        while (from + 1 < out.size() && magnitude[from] == 0) ++from;
        while (magnitude[from] == 0) --from;
        out[x] = weighted[from] / magnitude[from];
    }
    return out;
}

// TimeSide's place on the palette, written out here: log10 between 200 Hz and Nyquist.
double log_position(double hz) {
    hz = std::clamp(hz, 200.0, rate / 2.0);
    return std::log10(hz / 200.0) / std::log10(rate / 2.0 / 200.0);
}

// The palette entry a pixel's colour is, or -1.
int palette_index(const palette& p, uint32_t rgb) {
    for (size_t i = 0; i < p.size(); ++i)
        if ((uint32_t{p[i].r} << 16 | uint32_t{p[i].g} << 8 | p[i].b) == rgb) return static_cast<int>(i);
    return -1;
}

}  // namespace

TEST_CASE("waveform_centroid's column centroids equal a direct DFT of the same frames",
          "[graphers][waveforms]") {
    const int width = 32;
    const int64_t frames = rate / 2;
    const auto s = chirp(300, 9000, frames);
    auto g = test::run_grapher<waveform_centroid>("waveform_centroid", "width=32,height=64", s, 1);
    const int hop = static_cast<int>(frames / width);  // the hop a known length of T frames gets
    const auto expected = direct_centroids(s, width, hop);
    const auto got = g->centroids();
    REQUIRE(got.size() == static_cast<size_t>(width));
    for (int x = 0; x < width; ++x) {
        INFO("column " << x << ": expected " << expected[x] << " Hz");
        CHECK(got[x] == Approx(expected[x]).epsilon(1e-4));
    }
    // The chirp rises: so do the centroids, from under 1 kHz (the first frame's centre is 23 ms
    // in) to over 8 kHz (the last one's 23 ms from the end).
    CHECK(expected.front() < 1000);
    CHECK(expected.back() > 8000);
    for (int x = 1; x < width; ++x) CHECK(got[x] >= got[x - 1]);
    for (int x = 2; x < width - 1; ++x) CHECK(got[x] > got[x - 1]);  // 0 and 31: no frame centred

    // Each column is drawn in the palette entry of its centroid's place on the log scale.
    image img(g->render_bytes());
    const auto pal = make_palette(color_scheme_stops("default"));
    for (int x = 0; x < width; ++x) {
        INFO("column " << x);
        const int index = palette_index(pal, img.rgb(x, 32));
        const double want = log_position(expected[x]) * 255;
        CHECK(std::abs(index - want) <= 1.0);
    }
}

TEST_CASE("waveform_centroid reads a sine's centroid at its frequency, in both length modes",
          "[graphers][waveforms]") {
    for (double f : {300.0, 1000.0, 5000.0, 12000.0}) {
        for (bool known : {true, false}) {
            INFO(f << " Hz, length " << (known ? "known" : "unknown"));
            auto g = test::run_grapher<waveform_centroid>("waveform_centroid", "width=50,height=32",
                                                          test::sine(f, rate, rate), 1, known);
            const auto c = g->centroids();
            REQUIRE(c.size() == 50);
            // The Hann window's leakage pulls a magnitude-weighted mean a little towards the
            // middle of the band: measured 0.13 % at 300 Hz, 0.01 % at 1 kHz and above.
            for (double v : c) CHECK(v == Approx(f).epsilon(0.005));
        }
    }
}

TEST_CASE("waveform_centroid colours a low sine's columns before a high sine's along the palette",
          "[graphers][waveforms]") {
    for (const char* scheme : {"default", "iso"}) {
        INFO("scheme " << scheme);
        auto s = test::sine(300, rate, rate, 1, 0.8);
        const auto high = test::sine(8000, rate, rate, 1, 0.8);
        s.insert(s.end(), high.begin(), high.end());
        auto g = test::run_grapher<waveform_centroid>(
            "waveform_centroid", std::string("width=64,height=64,color_scheme=") + scheme, s, 1);
        image img(g->render_bytes());
        const auto pal = make_palette(color_scheme_stops(scheme));
        const int low_index = palette_index(pal, img.rgb(10, 32));
        const int high_index = palette_index(pal, img.rgb(54, 32));
        CHECK(low_index >= 0);
        CHECK(high_index > low_index + 100);
        CHECK(std::abs(low_index - log_position(300) * 255) <= 3);
        CHECK(std::abs(high_index - log_position(8000) * 255) <= 3);
        CHECK(img.rgb(0, 0) == 0x000000);  // TimeSide's black background
    }
}

TEST_CASE("waveform_centroid of an unknown length fills the width, low columns left and high right",
          "[graphers][waveforms]") {
    // 1.3 s: no power-of-two multiple of the width, so columns merge mid-way.
    auto s = test::sine(400, rate, rate * 13 / 20, 1, 0.7);
    const auto high = test::sine(6000, rate, rate * 13 / 20, 1, 0.7);
    s.insert(s.end(), high.begin(), high.end());
    auto g = test::run_grapher<waveform_centroid>("waveform_centroid", "width=100,height=40", s, 1, false);
    const auto c = g->centroids();
    REQUIRE(c.size() == 100);
    for (int x = 0; x < 100; ++x) {
        INFO("column " << x << ": " << c[x] << " Hz");
        if (x < 45) CHECK(c[x] == Approx(400).epsilon(0.03));
        if (x > 55) CHECK(c[x] == Approx(6000).epsilon(0.03));
        CHECK(c[x] > 0);
    }
    image img(g->render_bytes());
    for (int x : {0, 50, 99}) CHECK(img.column_extent(x, 0xff000000u).rows() > 20);
}

TEST_CASE("centroid_columns falls back to merging when a stream is longer than announced",
          "[graphers][waveforms]") {
    for (int64_t announced : {0, 50, 5000}) {
        INFO("announced " << announced);
        centroid_columns c(64);
        c.reset(rate, announced);
        const auto s = test::sine(2000, rate, 40000);
        c.add(s, 1);
        c.finish();
        CHECK(c.growing());
        const auto hz = c.fit_hz(64);
        for (double v : hz) CHECK(v == Approx(2000).epsilon(0.02));
    }
}

TEST_CASE("waveform_centroid on silence has no centroid and draws the centre line, NaN-free",
          "[graphers][waveforms]") {
    for (bool known : {true, false}) {
        auto g = test::run_grapher<waveform_centroid>("waveform_centroid", "width=40,height=20",
                                                      std::vector<float>(30000, 0.0f), 1, known);
        for (double v : g->centroids()) CHECK(v == 0.0);
        image img(g->render_bytes());
        const auto pal = make_palette(color_scheme_stops("default"));
        const uint32_t floor_colour = uint32_t{pal[0].r} << 16 | uint32_t{pal[0].g} << 8 | pal[0].b;
        for (int x = 0; x < 40; ++x) {
            auto e = img.column_extent(x, 0xff000000u);
            CHECK(e.rows() == 1);
            CHECK(e.top == 10);
            CHECK(img.rgb(x, 10) == floor_colour);
        }
    }
    // NaN samples read as silence, never as a NaN centroid.
    std::vector<float> nan(20000, std::numeric_limits<float>::quiet_NaN());
    auto g = test::run_grapher<waveform_centroid>("waveform_centroid", "width=16,height=16", nan, 1);
    for (double v : g->centroids()) CHECK(v == 0.0);
}

TEST_CASE("waveform_centroid's palette position is TimeSide's log scale", "[graphers][waveforms]") {
    CHECK(waveform_centroid::palette_position(0, rate) == 0);
    CHECK(waveform_centroid::palette_position(100, rate) == 0);  // clipped at 200 Hz
    CHECK(waveform_centroid::palette_position(200, rate) == 0);
    CHECK(waveform_centroid::palette_position(rate / 2.0, rate) == Approx(1));
    CHECK(waveform_centroid::palette_position(30000, rate) == Approx(1));
    CHECK(waveform_centroid::palette_position(2000, rate) == Approx(log_position(2000)));
    CHECK(waveform_centroid::palette_position(1000, 300) == 0);  // Nyquist under 200 Hz: no scale
}
