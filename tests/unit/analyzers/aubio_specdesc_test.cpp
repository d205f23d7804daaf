// aubio_specdesc: one framewise result per method, chosen by the `methods` parameter; values
// checked where they have a known answer (a sine's centroid and rolloff sit at its bin).
#include <catch2/catch.hpp>

#include "analyzers/aubio_specdesc.hpp"
#include "aubio_test_support.hpp"
#include "decoders/signals.hpp"

using namespace timeside;
namespace at = timeside::test::aubio_tools;

TEST_CASE("aubio_specdesc: every TimeSide method has its result, rows streamed as events", "[analyzers][aubio]") {
    auto a = get_processor_as<aubio_specdesc>("aubio_specdesc");
    std::map<std::string, size_t> events;
    a->set_event_sink([&](const analysis_event& e) { ++events[e.result_id]; });
    (array_decoder::from_samples(at::notes(), 44100, 1) | a).run();
    REQUIRE(a->results().size() == 16);
    for (const char* m : {"default", "energy", "hfc", "complex", "phase", "specdiff", "kl", "mkl", "specflux",
                          "centroid", "slope", "rolloff", "spread", "skewness", "kurtosis", "decrease"}) {
        const auto& r = a->result(std::string("aubio_specdesc.") + m);
        CAPTURE(m);
        CHECK(r.tmode == time_mode::framewise);
        CHECK(r.rows() == (12 * 44100 + 255) / 256);
        CHECK(events[r.id.id] == r.rows());
        CHECK(r.id.name == std::string("Spectral Descriptor (aubio) ") + m);
    }
    CHECK(a->result("aubio_specdesc.default").data.value == a->result("aubio_specdesc.hfc").data.value);
    CHECK(a->result("aubio_specdesc.centroid").id.unit == "bin");
}

TEST_CASE("aubio_specdesc: a sine's centroid and rolloff sit at its FFT bin", "[analyzers][aubio]") {
    const double bin = 100, hz = bin * 44100 / 1024;
    auto a = at::run_samples<aubio_specdesc>("aubio_specdesc", signals::sine(hz, 1.0, 44100, 0.5), 1,
                                             {{"methods", std::string("centroid;rolloff;wphase")}});
    REQUIRE(a->results().size() == 3);
    CHECK(a->methods() == std::vector<std::string>{"centroid", "rolloff", "wphase"});
    CHECK(a->result("aubio_specdesc.centroid").data.value.at(50) == Approx(bin).margin(1.0));
    // Rolloff is where 95 % of the energy lies below: inside the Hann window's main lobe (+-2 bins).
    CHECK(a->result("aubio_specdesc.rolloff").data.value.at(50) >= bin);
    CHECK(a->result("aubio_specdesc.rolloff").data.value.at(50) <= bin + 2);
}

TEST_CASE("aubio_specdesc: unknown methods and bad sizes are usage errors", "[analyzers][aubio]") {
    try {
        get_processor("aubio_specdesc", {{"methods", std::string("centroid;brightness")}});
        FAIL("accepted an unknown method");
    } catch (const usage_error& e) {
        CHECK_THAT(e.what(), Catch::Contains("brightness") && Catch::Contains("centroid") && Catch::Contains("kurtosis"));
    }
    CHECK_THROWS_AS(get_processor("aubio_specdesc", {{"buffer_size", std::string("48")}}), usage_error);
    CHECK_THROWS_AS(get_processor("aubio_specdesc", {{"hop_size", std::string("2048")}}), usage_error);
}

TEST_CASE("aubio_specdesc: finite on silence, a constant and full-scale noise", "[analyzers][aubio]") {
    const std::vector<std::vector<float>> inputs{std::vector<float>(44100, 0.0f), std::vector<float>(44100, 0.5f),
                                                 at::full_scale_noise(44100), std::vector<float>(3, -1.0f)};
    for (size_t k = 0; k < inputs.size(); ++k) {
        auto a = at::run_samples<aubio_specdesc>("aubio_specdesc", inputs[k], 1, {{"methods", std::string("all+wphase")}});
        CHECK(a->results().size() == 17);
        for (const auto& r : a->results()) {
            CAPTURE(k, r.id.id);
            CHECK(r.rows() > 0);
            for (double v : r.data.value) CHECK(std::isfinite(v));
        }
    }
}
