// aubio_mfcc against `aubiomfcc` run on the same WAV file; aubio_melenergy's bands against a sine's
// frequency; both finite on silence, a constant and full-scale noise, with rows streamed as events.
#include <catch2/catch.hpp>

#include "analyzers/aubio_melenergy.hpp"
#include "analyzers/aubio_mfcc.hpp"
#include "aubio_test_support.hpp"
#include "decoders/signals.hpp"

using namespace timeside;
namespace at = timeside::test::aubio_tools;

TEST_CASE("aubio_mfcc: coefficients are aubiomfcc's on the same file", "[analyzers][aubio]") {
    test::temp_dir dir;
    auto file = at::write_mono(dir, "notes.wav", at::notes());
    auto a = at::run_file<aubio_mfcc>("aubio_mfcc", file);
    const auto& r = a->result("aubio_mfcc");
    CHECK(r.tmode == time_mode::framewise);
    CHECK(r.data.width == 13);
    CHECK(r.frames.blocksize == 1024);
    CHECK(r.frames.stepsize == 256);
    CHECK(r.rows() == (12 * 44100 + 255) / 256);
    if (!at::available("aubiomfcc")) {
        WARN("aubiomfcc not installed: comparison skipped");
        return;
    }
    const auto tool = at::rows_of("aubiomfcc -i '" + file.string() + "' -B 1024 -H 256");
    REQUIRE(tool.size() == r.rows());
    double worst = 0;
    for (size_t i = 0; i < tool.size(); ++i) {
        REQUIRE(tool[i].size() == 14);  // time, then 13 coefficients
        CHECK(tool[i][0] == Approx(r.time_at(i)).margin(1e-5));
        for (size_t c = 0; c < 13; ++c)
            worst = std::max(worst, std::fabs(r.data.value[i * 13 + c] - tool[i][c + 1]) / std::max(1.0, std::fabs(tool[i][c + 1])));
    }
    CAPTURE(worst);
    CHECK(worst < 1e-5);  // the tool prints 6 decimals
}

TEST_CASE("aubio_mfcc: filter and coefficient counts are checked", "[analyzers][aubio]") {
    auto a = at::run_samples<aubio_mfcc>("aubio_mfcc", signals::sine(440, 0.5, 44100), 1,
                                         {{"n_filters", std::string("24")}, {"n_coeffs", std::string("20")}});
    CHECK(a->result("aubio_mfcc").data.width == 20);
    try {
        get_processor("aubio_mfcc", {{"n_filters", std::string("10")}, {"n_coeffs", std::string("13")}});
        FAIL("accepted more coefficients than filters");
    } catch (const usage_error& e) {
        CHECK_THAT(e.what(), Catch::Contains("n_coeffs=13") && Catch::Contains("from 1 to 10"));
    }
    CHECK_THROWS_AS(get_processor("aubio_mfcc", {{"buffer_size", std::string("1000")}}), usage_error);
    CHECK_THROWS_AS(get_processor("aubio_mfcc", {{"hop_size", std::string("2048")}}), usage_error);
}

TEST_CASE("aubio_melenergy: a sine's energy lands in the band around its frequency", "[analyzers][aubio]") {
    auto a = get_processor_as<aubio_melenergy>("aubio_melenergy");
    size_t events = 0;
    a->set_event_sink([&](const analysis_event& e) {
        CHECK(e.values.size() == 40);
        ++events;
    });
    (array_decoder::from_samples(signals::sine(1000, 1.0, 44100, 0.5), 44100, 1) | a).run();
    const auto& r = a->result("aubio_melenergy");
    REQUIRE(r.data.width == 40);
    REQUIRE(r.data.y_value.size() == 40);
    CHECK(events == r.rows());
    CHECK(std::is_sorted(r.data.y_value.begin(), r.data.y_value.end()));
    const size_t row = 100;
    auto first = r.data.value.begin() + static_cast<std::ptrdiff_t>(row * 40);
    const auto band = static_cast<size_t>(std::max_element(first, first + 40) - first);
    CAPTURE(band, r.data.y_value[band]);
    REQUIRE(band > 0);
    REQUIRE(band + 1 < 40);
    CHECK(r.data.y_value[band - 1] < 1000);
    CHECK(r.data.y_value[band + 1] > 1000);
}

TEST_CASE("aubio_mfcc and aubio_melenergy: finite on silence, a constant and full-scale noise", "[analyzers][aubio]") {
    const std::vector<std::vector<float>> inputs{std::vector<float>(44100, 0.0f), std::vector<float>(44100, 0.5f),
                                                 at::full_scale_noise(44100), std::vector<float>(7, 1.0f)};
    for (size_t k = 0; k < inputs.size(); ++k) {
        CAPTURE(k);
        auto m = at::run_samples<aubio_mfcc>("aubio_mfcc", inputs[k]);
        auto e = at::run_samples<aubio_melenergy>("aubio_melenergy", inputs[k], 1, {{"n_filters", std::string("32")}});
        CHECK(m->result("aubio_mfcc").rows() > 0);
        for (double v : m->result("aubio_mfcc").data.value) CHECK(std::isfinite(v));
        for (double v : e->result("aubio_melenergy").data.value) CHECK(std::isfinite(v));
        CHECK(e->result("aubio_melenergy").data.width == 32);
    }
}

TEST_CASE("aubio_melenergy and aubio_mfcc: at 8 kHz the 40 bands stay below Nyquist", "[analyzers][aubio]") {
    // Slaney's bands reach 6854 Hz; at 8 kHz they are replaced by mel bands up to 4 kHz.
    auto e = at::run_samples<aubio_melenergy>("aubio_melenergy", signals::sine(3000, 1.0, 8000, 0.5), 1, {}, 8000);
    const auto& r = e->result("aubio_melenergy");
    REQUIRE(r.data.y_value.size() == 40);
    CHECK(r.data.y_value.back() <= 4000);
    CHECK(std::adjacent_find(r.data.y_value.begin(), r.data.y_value.end()) == r.data.y_value.end());  // no empty band
    auto first = r.data.value.begin() + 10 * 40;
    const auto band = static_cast<size_t>(std::max_element(first, first + 40) - first);
    CHECK(std::fabs(r.data.y_value[band] - 3000) < 200);
    auto m = at::run_samples<aubio_mfcc>("aubio_mfcc", signals::sine(3000, 1.0, 8000, 0.5), 1, {}, 8000);
    for (double v : m->result("aubio_mfcc").data.value) CHECK(std::isfinite(v));
}
