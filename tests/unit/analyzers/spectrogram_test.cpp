// spectrogram_analyzer against independent references: a sine's known frequency, a direct DFT of
// the Hann-windowed mono mix, the frame count and times a hop implies, and the parameter rules.
#include <catch2/catch.hpp>

#include <cmath>
#include <complex>
#include <random>

#include "../test_support.hpp"
#include "analyzers/spectrogram.hpp"
#include "core/errors.hpp"
#include "core/pipe.hpp"
#include "core/registry.hpp"
#include "decoders/array_decoder.hpp"

using namespace timeside;

namespace {

std::shared_ptr<spectrogram> run_spectrogram(std::vector<float> s, int rate, int channels,
                                             const raw_parameters& params = {}, int blocksize = 8192) {
    auto sp = get_processor_as<spectrogram>("spectrogram_analyzer", params);
    (array_decoder::from_samples(std::move(s), rate, channels, blocksize) | sp).run();
    return sp;
}

// |DFT| of bin k of x[0..n) (zero beyond the signal) under a periodic Hann of length n, padded to m.
double dft_magnitude(const std::vector<double>& x, size_t first, size_t n, size_t m, size_t k) {
    std::complex<double> acc;
    for (size_t i = 0; i < n; ++i) {
        const double v = first + i < x.size() ? x[first + i] : 0.0;
        const double w = 0.5 - 0.5 * std::cos(2 * M_PI * static_cast<double>(i) / static_cast<double>(n));
        acc += v * w * std::polar(1.0, -2 * M_PI * static_cast<double>(k * i) / static_cast<double>(m));
    }
    return std::abs(acc);
}

bool all_finite(const std::vector<double>& v) {
    for (double x : v)
        if (!std::isfinite(x)) return false;
    return true;
}

}  // namespace

TEST_CASE("a 440 Hz sine peaks within one bin of 440 Hz in every full frame", "[analyzers][spectral]") {
    const int rate = 44100;
    for (int fft : {2048, 4096}) {
        auto sp = run_spectrogram(test::sine(440, rate, rate * 2, 2, 0.5), rate, 2, {{"fft_size", int64_t{fft}}});
        const auto& r = sp->result("spectrogram_analyzer");
        const size_t bins = static_cast<size_t>(fft / 2 + 1);
        REQUIRE(r.data.width == bins);
        REQUIRE(r.data.y_value.size() == bins);
        const double bin_hz = static_cast<double>(rate) / fft;
        const size_t full = (rate * 2 - 2048) / 1024 + 1;  // windows entirely inside the signal
        REQUIRE(r.rows() > full);
        for (size_t i = 0; i < full; ++i) {
            auto row = r.data.value.begin() + static_cast<std::ptrdiff_t>(i * bins);
            const auto peak = static_cast<size_t>(std::max_element(row, row + static_cast<std::ptrdiff_t>(bins)) - row);
            if (std::fabs(r.data.y_value[peak] - 440.0) > bin_hz) FAIL("frame " << i << " peaks at " << r.data.y_value[peak] << " Hz");
        }
    }
}

TEST_CASE("y_value holds each bin's frequency in Hz", "[analyzers][spectral]") {
    auto sp = run_spectrogram(std::vector<float>(8000), 8000, 1, {{"fft_size", int64_t{4096}}});
    const auto& y = sp->result("spectrogram_analyzer").data.y_value;
    REQUIRE(y.size() == 2049);
    CHECK(y[0] == 0.0);
    CHECK(y[1] == Approx(8000.0 / 4096));
    CHECK(y[1024] == Approx(2000.0));
    CHECK(y.back() == Approx(4000.0));  // Nyquist
}

TEST_CASE("frames are the windows starting before the end, stamped at i * step / rate",
          "[analyzers][spectral]") {
    for (int64_t total : {10000, 10240, 1, 2047}) {
        auto sp = run_spectrogram(test::sine(1000, 8000, total), 8000, 1,
                                  {{"input_blocksize", int64_t{2048}}, {"input_stepsize", int64_t{1024}}}, 1000);
        const auto& r = sp->result("spectrogram_analyzer");
        CHECK(r.rows() == static_cast<size_t>((total + 1023) / 1024));
        CHECK(r.appended_rows == r.rows());
        CHECK(r.frames.samplerate == 8000);
        CHECK(r.frames.blocksize == 2048);
        CHECK(r.frames.stepsize == 1024);
        CHECK(r.time_at(3) == Approx(3 * 1024 / 8000.0));
        CHECK(r.duration_at(0) == Approx(2048 / 8000.0));
        CHECK(r.tmode == time_mode::framewise);
        CHECK(r.id.name == "Spectrogram Analyzer");
        CHECK(r.parameters.at("fft_size") == 2048);
        CHECK(r.audio.duration == Approx(static_cast<double>(total) / 8000));
    }
}

TEST_CASE("magnitudes equal a direct DFT of the Hann-windowed channel average, zero-padded",
          "[analyzers][spectral]") {
    // Two different channels: the mix is their mean; block 1000 padded to a 1024-point FFT.
    const int rate = 16000;
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> u(-1, 1);
    std::vector<float> s(2 * 5000);
    std::vector<double> mono(5000);
    for (size_t i = 0; i < mono.size(); ++i) {
        s[2 * i] = u(rng);
        s[2 * i + 1] = 0.3f * static_cast<float>(std::sin(0.05 * static_cast<double>(i)));
        mono[i] = (static_cast<double>(s[2 * i]) + s[2 * i + 1]) / 2;
    }
    auto sp = run_spectrogram(s, rate, 2,
                              {{"input_blocksize", int64_t{1000}}, {"input_stepsize", int64_t{300}}, {"fft_size", int64_t{1024}}},
                              777);
    const auto& r = sp->result("spectrogram_analyzer");
    REQUIRE(r.rows() == 17);  // ceil(5000 / 300)
    for (size_t frame : {0, 5, 16})  // 16 runs past the end: zero-padded
        for (size_t k : {0, 1, 25, 100, 300, 512}) {
            const double expected = dft_magnitude(mono, frame * 300, 1000, 1024, k);
            const double got = r.data.value[frame * 513 + k];
            if (std::fabs(got - expected) > 1e-4 * (1 + expected))
                FAIL("frame " << frame << " bin " << k << ": " << got << " vs " << expected);
        }
}

TEST_CASE("spectrogram rows reach a row sink, events and listeners as they are computed",
          "[analyzers][spectral]") {
    struct rows_seen : row_sink {
        void begin(const analyzer_result& meta) override { width = meta.data.width, y = meta.data.y_value; }
        void append(const std::string& id, std::span<const double> row) override {
            ids.push_back(id);
            firsts.push_back(row[0]);
            widths.push_back(row.size());
        }
        size_t width = 0;
        std::vector<double> y, firsts;
        std::vector<std::string> ids;
        std::vector<size_t> widths;
    };
    auto sp = get_processor_as<spectrogram>("spectrogram_analyzer",
                                            {{"input_blocksize", int64_t{256}}, {"input_stepsize", int64_t{128}},
                                             {"fft_size", int64_t{256}}});
    auto rows = std::make_shared<rows_seen>();
    std::vector<analysis_event> events;
    std::vector<int64_t> heard;
    sp->set_row_sink(rows, false);
    sp->set_event_sink([&](const analysis_event& e) { events.push_back(e); });
    sp->set_frame_listener(&heard, [&](std::span<const double> m, int64_t frame) {
        CHECK(m.size() == 129);
        heard.push_back(frame);
    });
    (array_decoder::from_samples(test::sine(500, 8000, 1000), 8000, 1, 300) | sp).run();
    const size_t n = 8;  // ceil(1000 / 128)
    CHECK(sp->result("spectrogram_analyzer").rows() == 0);  // not kept: streamed only
    CHECK(rows->width == 129);
    CHECK(rows->y.at(128) == Approx(4000.0));
    REQUIRE(rows->ids.size() == n);
    CHECK(rows->widths[3] == 129);
    REQUIRE(events.size() == n);
    REQUIRE(heard.size() == n);
    for (size_t i = 0; i < n; ++i) {
        CHECK(events[i].frame == static_cast<int64_t>(i) * 128);
        CHECK(events[i].values.size() == 129);
        CHECK(events[i].values[0] == rows->firsts[i]);
        CHECK(heard[i] == static_cast<int64_t>(i));
    }
    CHECK(events[2].time() == Approx(256 / 8000.0));
}

TEST_CASE("no NaN or Inf on silence, a constant or full-scale noise", "[analyzers][spectral]") {
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> u(-1, 1);
    std::vector<float> noise(2 * 20000);
    for (auto& x : noise) x = u(rng) < 0 ? -1.0f : 1.0f;
    for (const auto& s : {std::vector<float>(40000, 0.0f), std::vector<float>(40000, 1.0f), noise}) {
        auto sp = run_spectrogram(s, 44100, 2);
        const auto& v = sp->result("spectrogram_analyzer").data.value;
        REQUIRE(!v.empty());
        CHECK(all_finite(v));
    }
}

TEST_CASE("bad spectrogram parameters are usage errors naming the parameter and valid values",
          "[analyzers][spectral]") {
    auto message = [](const raw_parameters& p) -> std::string {
        try {
            get_processor("spectrogram_analyzer", p);
        } catch (const usage_error& e) {
            return e.what();
        }
        return "accepted";
    };
    const auto not_pow2 = message({{"fft_size", int64_t{1000}}});
    CHECK_THAT(not_pow2, Catch::Contains("fft_size") && Catch::Contains("1024") && Catch::Contains("65536"));
    const auto too_big = message({{"input_blocksize", int64_t{4096}}});
    CHECK_THAT(too_big, Catch::Contains("input_blocksize=4096") && Catch::Contains("fft_size (2048)"));
    const auto hop = message({{"input_stepsize", int64_t{3000}}});
    CHECK_THAT(hop, Catch::Contains("input_stepsize=3000") && Catch::Contains("1 to input_blocksize (2048)"));
    CHECK_THAT(message({{"fft_size", std::string("32")}}), Catch::Contains("fft_size"));
    CHECK(message({{"input_blocksize", int64_t{4096}}, {"fft_size", int64_t{4096}}, {"input_stepsize", int64_t{4096}}}) ==
          "accepted");
}
