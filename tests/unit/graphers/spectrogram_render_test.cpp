// spectrogram_log / spectrogram_lin through a real pipe: the PNG is decoded back and each pixel
// turned back into its level through the colormap (magma: 256 distinct colours). Where a tone
// or a sweep must be is computed here from the axis' definition (log: 100 Hz to Nyquist, linear:
// 0 to Nyquist, bottom to top) and from the signal's own formula, not from the grapher's code.
#include "../array_source.hpp"
#include "graphers/spectrogram_render.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <vector>

#include "../test_support.hpp"
#include "core/errors.hpp"
#include "core/pipe.hpp"
#include "core/registry.hpp"
#include "decoders/array_decoder.hpp"
#include "graphers/colormaps.hpp"
#include "graphers/png_surface.hpp"

using namespace timeside;

namespace {

constexpr int rate = 44100;
constexpr double nyquist = rate / 2.0;

std::shared_ptr<spectrogram_render> make(const std::string& id, const std::string& params) {
    return get_processor_as<spectrogram_render>(id, parse_kv_list(params));
}

cairo_surface_ptr render(const std::string& id, std::vector<float> samples, int channels, const std::string& params,
                         bool known_length = true) {
    auto g = make(id, params);
    auto d = test::make_source(std::move(samples), channels, known_length, rate, known_length ? 4096 : 1000);
    timeside::pipe p(d);
    p.add(g);
    p.run();
    return decode_png(g->render_bytes());
}

int width_of(cairo_surface_t* s) { return cairo_image_surface_get_width(s); }
int height_of(cairo_surface_t* s) { return cairo_image_surface_get_height(s); }

// The colormap index a pixel was drawn with, -1 if it is not a colour of the map.
int level(cairo_surface_t* s, int x, int y, const std::string& map = "magma") {
    static std::map<std::string, std::map<uint32_t, int>> inverse;
    auto& inv = inverse[map];
    if (inv.empty())
        for (int i = 0; i < 256; ++i) inv[colormap(map)[static_cast<size_t>(i)]] = i;
    auto it = inv.find(pixel_rgb(s, x, y));
    return it == inv.end() ? -1 : it->second;
}

// The brightest row of column x between rows [top, bottom): the middle of the brightest run.
double brightest_row(cairo_surface_t* s, int x, int top = 0, int bottom = -1) {
    if (bottom < 0) bottom = height_of(s);
    int best = -1;
    std::vector<int> rows;
    for (int y = top; y < bottom; ++y) {
        const int v = level(s, x, y);
        if (v > best) best = v, rows.clear();
        if (v == best) rows.push_back(y);
    }
    return std::accumulate(rows.begin(), rows.end(), 0.0) / static_cast<double>(rows.size());
}

// Where frequency f is drawn in a lane of `rows` rows starting at image row `top`, from the
// axis' definition: row centres from the bottom, 100 Hz (log) or 0 Hz (linear) to Nyquist.
double expected_row(bool log_axis, double f, int rows, int top = 0) {
    const double from_bottom = log_axis ? (rows - 1) * std::log(f / 100.0) / std::log(nyquist / 100.0)
                                        : (rows - 1) * f / nyquist;
    return top + (rows - 1) - from_bottom;
}

// A logarithmic sweep f0 -> f1 over `seconds` (instantaneous frequency f0 * (f1/f0)^(t/T)).
std::vector<float> log_sweep(double f0, double f1, double seconds, double amplitude = 1.0) {
    const auto n = static_cast<int64_t>(seconds * rate);
    const double k = std::log(f1 / f0);
    std::vector<float> out(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
        const double t = static_cast<double>(i) / rate;
        out[static_cast<size_t>(i)] =
            static_cast<float>(amplitude * std::sin(2 * M_PI * f0 * seconds / k * (std::exp(k * t / seconds) - 1)));
    }
    return out;
}

double sweep_frequency(double f0, double f1, double seconds, double t) {
    return f0 * std::pow(f1 / f0, t / seconds);
}

}  // namespace

TEST_CASE("spectrogram_log and spectrogram_lin are registered under TimeSide's ids", "[graphers][spectrogram]") {
    for (const char* id : {"spectrogram_log", "spectrogram_lin"}) {
        INFO(id);
        auto p = get_processor(id);
        CHECK(p->kind() == processor_kind::grapher);
        auto g = std::dynamic_pointer_cast<grapher>(p);
        REQUIRE(g);
        CHECK(g->extension() == "png");
        CHECK(g->media_type() == "image/png");
        const auto& params = p->parameters();
        CHECK(params.integer("width") == 1024);
        CHECK(params.integer("height") == 256);
        CHECK(params.integer("fft_size") == 4096);
        CHECK(params.number("dynamic_range") == 120);
        CHECK(params.string("colormap") == "timeside");
        CHECK_FALSE(params.boolean("split_channels"));
    }
    CHECK(get_processor("spectrogram_log")->info().name == "Spectrogram Log");
    CHECK(get_processor("spectrogram_lin")->info().name == "Spectrogram Lin");
}

TEST_CASE("spectrogram renders refuse bad parameters, naming them and what is valid", "[graphers][spectrogram]") {
    for (const char* id : {"spectrogram_log", "spectrogram_lin"}) {
        INFO(id);
        CHECK_THROWS_AS(get_processor(id, parse_kv_list("width=0")), usage_error);
        CHECK_THROWS_WITH(get_processor(id, parse_kv_list("width=0")),
                          Catch::Contains("width") && Catch::Contains("1 to 16384"));
        CHECK_THROWS_WITH(get_processor(id, parse_kv_list("width=100000")),
                          Catch::Contains("width") && Catch::Contains("1 to 16384"));
        CHECK_THROWS_WITH(get_processor(id, parse_kv_list("height=5000")),
                          Catch::Contains("height") && Catch::Contains("1 to 4096"));
        CHECK_THROWS_AS(get_processor(id, parse_kv_list("colormap=jet")), usage_error);
        CHECK_THROWS_WITH(get_processor(id, parse_kv_list("colormap=jet")),
                          Catch::Contains("colormap") && Catch::Contains("timeside, viridis, magma"));
        CHECK_THROWS_AS(get_processor(id, parse_kv_list("fft_size=1000")), usage_error);
        CHECK_THROWS_WITH(get_processor(id, parse_kv_list("fft_size=1000")),
                          Catch::Contains("fft_size") && Catch::Contains("256") && Catch::Contains("32768"));
        CHECK_THROWS_WITH(get_processor(id, parse_kv_list("fft_size=65536")), Catch::Contains("fft_size"));
        CHECK_THROWS_WITH(get_processor(id, parse_kv_list("dynamic_range=0")), Catch::Contains("dynamic_range"));
        CHECK_THROWS_WITH(get_processor(id, parse_kv_list("bg_color=nope")), Catch::Contains("bg_color"));
    }
}

TEST_CASE("spectrogram renders a PNG of the size asked for, background before any data",
          "[graphers][spectrogram]") {
    auto fresh = make("spectrogram_log", "width=40,height=30,bg_color=#123456");
    auto img = decode_png(fresh->render_bytes());
    CHECK(width_of(img.get()) == 40);
    CHECK(height_of(img.get()) == 30);
    for (auto [x, y] : {std::pair{0, 0}, {39, 29}, {20, 15}}) CHECK(pixel_rgb(img.get(), x, y) == 0x123456);

    auto defaults = render("spectrogram_lin", test::sine(1000, rate, rate / 2), 1, "");
    CHECK(width_of(defaults.get()) == 1024);
    CHECK(height_of(defaults.get()) == 256);

    test::temp_dir dir;
    fresh->render(dir / "x.spectrogram_log.png");
    CHECK(std::filesystem::file_size(dir / "x.spectrogram_log.png") == fresh->render_bytes().size());
}

TEST_CASE("spectrogram of a 440 Hz sine: the brightest row of every column is 440 Hz", "[graphers][spectrogram]") {
    const auto sine = test::sine(440, rate, 2 * rate, 1, 0.5);
    for (bool log_axis : {true, false}) {
        const std::string id = log_axis ? "spectrogram_log" : "spectrogram_lin";
        INFO(id);
        auto img = render(id, sine, 1, "width=200,height=256,colormap=magma");
        const double expect = expected_row(log_axis, 440, 256);
        for (int x = 0; x < 200; ++x) {
            INFO("column " << x);
            CHECK(std::abs(brightest_row(img.get(), x) - expect) <= 1.0);
        }
    }
}

TEST_CASE("spectrogram of a log sweep shows its rising line", "[graphers][spectrogram]") {
    const double f0 = 20, f1 = nyquist, seconds = 8;
    const auto sweep = log_sweep(f0, f1, seconds);
    const int w = 256, h = 256;
    for (bool log_axis : {true, false}) {
        const std::string id = log_axis ? "spectrogram_log" : "spectrogram_lin";
        INFO(id);
        auto img = render(id, sweep, 1, "width=256,height=256,colormap=magma");
        // Columns where the sweep is inside the axis with room for the window's spread.
        const double low = log_axis ? 200 : 1000, high = 18000;
        std::vector<double> xs, rows;
        for (int x = 0; x < w; ++x) {
            const double f = sweep_frequency(f0, f1, seconds, (x + 0.5) * seconds / w);
            if (f < low || f > high) continue;
            const double row = brightest_row(img.get(), x);
            INFO("column " << x << ", " << f << " Hz");
            // Within a few rows of where the sweep is at the column's centre time (a column is
            // 31 ms, the 4096-point window 93 ms: it sees the sweep over three columns).
            CHECK(std::abs(row - expected_row(log_axis, f, h)) <= (log_axis ? 3.0 : 6.0));
            if (!rows.empty()) CHECK(row <= rows.back());  // climbing (rows count from the top)
            xs.push_back(x);
            rows.push_back(row);
        }
        REQUIRE(xs.size() > 100);
        // It rises over most of the height.
        CHECK(rows.front() - rows.back() > 0.6 * h);
        if (log_axis) {
            // A straight line: least squares, then the worst residual.
            const double n = static_cast<double>(xs.size());
            const double mx = std::accumulate(xs.begin(), xs.end(), 0.0) / n;
            const double my = std::accumulate(rows.begin(), rows.end(), 0.0) / n;
            double sxy = 0, sxx = 0;
            for (size_t i = 0; i < xs.size(); ++i) sxy += (xs[i] - mx) * (rows[i] - my), sxx += (xs[i] - mx) * (xs[i] - mx);
            const double slope = sxy / sxx;
            // Rows per column the sweep climbs on this axis: (h-1) ln(f1/f0) / ln(nyquist/100) / w.
            CHECK(-slope == Approx((h - 1) * std::log(f1 / f0) / std::log(nyquist / 100) / w).epsilon(0.03));
            double worst = 0;
            for (size_t i = 0; i < xs.size(); ++i) worst = std::max(worst, std::abs(rows[i] - (my + slope * (xs[i] - mx))));
            CHECK(worst <= 3.0);
        }
    }
}

TEST_CASE("spectrogram renders neither blank nor saturated", "[graphers][spectrogram]") {
    // A sweep over white noise at -26 dBFS RMS: the noise reads about -54 dB per bin (its power
    // spread over the window's 4096 / 6 effective bins), the sweep near 0 dB.
    auto s = log_sweep(20, nyquist, 4, 0.5);
    uint32_t state = 1;
    for (auto& v : s) {
        state = state * 1664525u + 1013904223u;
        v += 0.0866f * (static_cast<float>(state >> 8) / 8388608.0f - 1.0f);  // uniform, RMS 0.05
    }
    for (const char* id : {"spectrogram_log", "spectrogram_lin"}) {
        INFO(id);
        auto img = render(id, s, 1, "width=128,height=128");
        const auto& table = colormap("timeside");
        std::map<uint32_t, int> colours;
        for (int x = 0; x < 128; ++x)
            for (int y = 0; y < 128; ++y) ++colours[pixel_rgb(img.get(), x, y)];
        const int pixels = 128 * 128;
        CHECK(colours.size() > 20);               // a range of levels, not one flat colour
        CHECK(colours[table[255]] < pixels / 20);  // the loudest colour only where the sweep is
        CHECK(colours[table[0]] < pixels / 20);    // the noise keeps the floor colour away
        int largest = 0;
        for (auto& [c, n] : colours) largest = std::max(largest, n);
        CHECK(largest < pixels / 2);  // no single colour covers the picture
    }
}

TEST_CASE("spectrogram colours span the colormap: 0 dB is its top, silence its floor", "[graphers][spectrogram]") {
    // A full-scale sine centred on FFT bin 100 (of 4096) reads exactly 0 dB.
    const double bin_centre = 100.0 * rate / 4096;
    for (const std::string map : {"timeside", "viridis", "magma"}) {
        INFO(map);
        const auto& table = colormap(map);
        auto loud = render("spectrogram_lin", test::sine(bin_centre, rate, rate), 1,
                           "width=50,height=2048,colormap=" + map);
        bool top_found = false;
        for (int y = 0; y < 2048; ++y) top_found = top_found || pixel_rgb(loud.get(), 25, y) == table[255];
        CHECK(top_found);
        auto silent = render("spectrogram_log", std::vector<float>(rate, 0.0f), 1, "width=50,height=64,colormap=" + map);
        for (int x = 0; x < 50; ++x)
            for (int y = 0; y < 64; ++y) REQUIRE(pixel_rgb(silent.get(), x, y) == table[0]);
    }
}

TEST_CASE("spectrogram levels are dB below full scale over dynamic_range", "[graphers][spectrogram]") {
    // -30 dBFS on a bin centre with 60 dB shown: half way up the colormap, index 127.5.
    const double bin_centre = 100.0 * rate / 4096;
    const double amplitude = std::pow(10.0, -30.0 / 20);
    auto img = render("spectrogram_lin", test::sine(bin_centre, rate, rate, 1, amplitude), 1,
                      "width=20,height=2048,colormap=magma,dynamic_range=60");
    int best = -1;
    for (int y = 0; y < 2048; ++y) best = std::max(best, level(img.get(), 10, y));
    CHECK(best >= 127);
    CHECK(best <= 128);
}

TEST_CASE("spectrogram treats NaN samples as silence, drawing every other column as usual",
          "[graphers][spectrogram]") {
    auto s = test::sine(440, rate, 2 * rate, 1, 0.5);
    std::fill(s.begin() + rate / 2, s.begin() + rate / 2 + 100, std::numeric_limits<float>::quiet_NaN());
    auto img = render("spectrogram_log", s, 1, "width=100,height=128,colormap=magma");
    for (int x = 0; x < 100; ++x)
        for (int y = 0; y < 128; ++y) REQUIRE(level(img.get(), x, y) >= 0);
    const double expect = expected_row(true, 440, 128);
    for (int x : {0, 10, 80, 99}) CHECK(std::abs(brightest_row(img.get(), x) - expect) <= 1.0);
}

TEST_CASE("spectrogram of unknown length fills the width and still shows the sweep", "[graphers][spectrogram]") {
    const double seconds = 8;
    auto img = render("spectrogram_log", log_sweep(20, nyquist, seconds), 1,
                      "width=256,height=256,colormap=magma,bg_color=#00ff00", false);
    std::vector<double> rows;
    for (int x = 0; x < 256; ++x) {
        for (int y = 0; y < 256; y += 15) REQUIRE(pixel_rgb(img.get(), x, y) != 0x00ff00);
        rows.push_back(brightest_row(img.get(), x));
    }
    // From the bottom to near the top, climbing wherever the sweep is on the axis (past 200 Hz).
    const size_t from = 256 * 3 / 8;
    for (size_t x = from + 1; x < rows.size(); ++x) CHECK(rows[x] <= rows[x - 1]);
    CHECK(rows[from] > expected_row(true, 400, 256));
    CHECK(rows.back() < expected_row(true, 15000, 256));
}

TEST_CASE("spectrogram split_channels draws one lane per channel, first on top", "[graphers][spectrogram]") {
    auto left = test::sine(440, rate, rate), right = test::sine(5000, rate, rate);
    std::vector<float> stereo(2 * left.size());
    for (size_t i = 0; i < left.size(); ++i) stereo[2 * i] = 0.5f * left[i], stereo[2 * i + 1] = 0.5f * right[i];
    for (bool log_axis : {true, false}) {
        const std::string id = log_axis ? "spectrogram_log" : "spectrogram_lin";
        INFO(id);
        auto split = render(id, stereo, 2, "width=64,height=256,colormap=magma,split_channels=true");
        auto mixed = render(id, stereo, 2, "width=64,height=256,colormap=magma");
        for (int x : {5, 32, 60}) {
            CHECK(std::abs(brightest_row(split.get(), x, 0, 128) - expected_row(log_axis, 440, 128, 0)) <= 1.0);
            CHECK(std::abs(brightest_row(split.get(), x, 128, 256) - expected_row(log_axis, 5000, 128, 128)) <= 1.0);
            // The mono mix shows both tones on one axis of the full height.
            CHECK(level(mixed.get(), x, static_cast<int>(std::lround(expected_row(log_axis, 440, 256)))) > 200);
            CHECK(level(mixed.get(), x, static_cast<int>(std::lround(expected_row(log_axis, 5000, 256)))) > 200);
        }
    }
}

TEST_CASE("spectrogram frames: one per column at least, half a window apart at most", "[graphers][spectrogram]") {
    auto g = make("spectrogram_log", "width=100");
    stream_info in;
    in.format = {rate, 2};
    in.total_frames = 600LL * rate;  // ten minutes: columns far wider than the window
    g->setup(in);
    CHECK(g->hop() == 2048);
    in.total_frames = 100 * 300;  // short: one frame per 300-frame column
    g->setup(in);
    CHECK(g->hop() == 300);
}
