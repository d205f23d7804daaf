// mean_dc_shift against sox: files with a known offset made by sox's dcshift, read back by
// `sox FILE -n stats` ("DC offset") and by our analyzer through file_decoder.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>
#include <regex>
#include <sstream>

#include "../test_support.hpp"
#include "analyzers/mean_dc_shift.hpp"
#include "core/pipe.hpp"
#include "core/registry.hpp"
#include "decoders/array_decoder.hpp"
#include "decoders/file_decoder.hpp"

using namespace timeside;

namespace {

std::string command_output(const std::string& cmd) {
    FILE* f = popen(cmd.c_str(), "r");
    if (!f) throw std::runtime_error("cannot run " + cmd);
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    pclose(f);
    return out;
}

// sox stats' "DC offset" line, x 100: the overall column, then one per channel (several channels).
std::vector<double> sox_dc_offsets_percent(const std::string& path) {
    const auto out = command_output("sox '" + path + "' -n stats 2>&1");
    std::smatch m;
    if (!std::regex_search(out, m, std::regex(R"(DC offset([ \t0-9.-]+))"))) FAIL("no DC offset in: " << out);
    std::istringstream line(m[1].str());
    std::vector<double> values;
    for (double v; line >> v;) values.push_back(100.0 * v);
    return values;
}

double dc_of(std::shared_ptr<decoder> d) {
    auto dc = get_processor_as<mean_dc_shift>("mean_dc_shift");
    (std::move(d) | dc).run();
    return dc->result("mean_dc_shift").data.value.at(0);
}

}  // namespace

TEST_CASE("mean_dc_shift equals sox stats' DC offset x 100 on files with a known offset",
          "[analyzers][spectral][dc]") {
    test::temp_dir dir;
    // sox makes them: tones, noise and a sweep, shifted up or down, mono and stereo (one with
    // different offsets per channel), 16 and 24 bits.
    const std::vector<std::string> recipes = {
        "-r 44100 -c 1 -b 16 {} synth 3 sine 440 vol 0.5 dcshift 0.1",
        "-r 48000 -c 2 -b 24 {} synth 2.5 sine 300 sine 500 vol 0.4 dcshift -0.25 remix 1 2v0.5",
        "-r 22050 -c 2 -b 16 {} synth 4 whitenoise vol 0.3 dcshift 0.05",
        "-r 44100 -c 1 -b 16 {} synth 1.3 sine 20-10000 vol 0.8 dcshift -0.0123",
    };
    int i = 0;
    for (auto recipe : recipes) {
        const auto path = (dir / ("dc" + std::to_string(i++) + ".wav")).string();
        recipe.replace(recipe.find("{}"), 2, "'" + path + "'");
        REQUIRE(std::system(("sox -n " + recipe + " 2>/dev/null").c_str()) == 0);
        const auto sox = sox_dc_offsets_percent(path);
        REQUIRE(!sox.empty());
        // sox's overall column is the channel offset of largest magnitude, not a pooled mean; with
        // channels of equal length, the mean of all samples is the mean of its channel columns.
        double expected = sox[0];
        if (sox.size() > 1) expected = std::accumulate(sox.begin() + 1, sox.end(), 0.0) / static_cast<double>(sox.size() - 1);
        const double got = dc_of(get_processor_as<file_decoder>("file_decoder", {{"uri", path}}));
        INFO(recipe);
        CHECK(std::fabs(expected) > 0.1);  // a real offset, not a rounding
        CHECK(got == Approx(expected).margin(0.001));
    }
}

TEST_CASE("mean_dc_shift is 100 x the mean of all samples of all channels, whatever the blocks",
          "[analyzers][spectral][dc]") {
    std::vector<float> s;
    for (int i = 0; i < 10001; ++i) {
        s.push_back(0.5f);
        s.push_back(-0.1f);
    }
    for (int bs : {1, 999, 8192}) CHECK(dc_of(array_decoder::from_samples(s, 8000, 2, bs)) == Approx(20.0).margin(1e-6));
    auto dc = get_processor_as<mean_dc_shift>("mean_dc_shift");
    (array_decoder::from_samples(s, 8000, 2) | dc).run();
    const auto& r = dc->result("mean_dc_shift");
    CHECK(r.id.unit == "%");
    CHECK(r.id.name == "Mean DC shift Analyzer");
    CHECK(r.tmode == time_mode::global);
}

TEST_CASE("mean_dc_shift is finite on silence, a constant and full-scale noise", "[analyzers][spectral][dc]") {
    std::mt19937 rng(9);
    std::vector<float> noise(100000);
    for (auto& x : noise) x = rng() % 2 ? 1.0f : -1.0f;
    CHECK(dc_of(array_decoder::from_samples(std::vector<float>(1000, 0.0f), 8000, 1)) == 0.0);
    CHECK(dc_of(array_decoder::from_samples(std::vector<float>(1000, 1.0f), 8000, 1)) == Approx(100.0));
    const double n = dc_of(array_decoder::from_samples(noise, 8000, 2));
    CHECK(std::isfinite(n));
    CHECK(std::fabs(n) < 1.0);
}

TEST_CASE("mean_dc_shift emits each block's own offset for live meters", "[analyzers][spectral][dc]") {
    auto dc = get_processor_as<mean_dc_shift>("mean_dc_shift");
    std::vector<analysis_event> events;
    dc->set_event_sink([&](const analysis_event& e) { events.push_back(e); });
    std::vector<float> s(2000, 0.2f);
    std::fill(s.begin() + 1000, s.end(), -0.05f);
    (array_decoder::from_samples(s, 1000, 1, 1000) | dc).run();
    REQUIRE(events.size() == 2);
    CHECK(events[0].values.at(0) == Approx(20.0));
    CHECK(events[1].frame == 1000);
    CHECK(events[1].values.at(0) == Approx(-5.0));
    CHECK(dc->result("mean_dc_shift").data.value.at(0) == Approx(7.5));
}
