// aubio_pitch against the C4 major scale's known frequencies and against `aubiopitch` run on the
// same WAV file, for every method; parameters refused as usage errors; finite on hard inputs.
#include <catch2/catch.hpp>

#include <algorithm>

#include "analyzers/aubio_pitch.hpp"
#include "aubio_test_support.hpp"
#include "decoders/signals.hpp"

using namespace timeside;
namespace at = timeside::test::aubio_tools;

namespace {
const double scale_hz[] = {261.63, 293.66, 329.63, 349.23, 392.00, 440.00, 493.88, 523.25};

const std::vector<double>& values(const analyzer& a, const std::string& id) { return a.result(id).data.value; }

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
}
}  // namespace

TEST_CASE("aubio_pitch: each note of the C4 scale reads within 1 % of its frequency", "[analyzers][aubio]") {
    test::temp_dir dir;
    auto file = at::write_mono(dir, "C4_scale.wav", signals::c4_scale(44100));
    auto p = at::run_file<aubio_pitch>("aubio_pitch", file);
    const auto& f0 = values(*p, "aubio_pitch.pitch");
    const auto& r = p->result("aubio_pitch.pitch");
    CHECK(r.id.unit == "Hz");
    CHECK(r.frames.blocksize == 2048);
    CHECK(r.frames.stepsize == 256);
    REQUIRE(f0.size() == values(*p, "aubio_pitch.pitch_confidence").size());
    for (size_t n = 0; n < std::size(scale_hz); ++n) {
        // The middle of note n (1 s from n * 1.2 s), away from the transitions.
        std::vector<double> note;
        for (size_t i = 0; i < f0.size(); ++i) {
            const double t = r.time_at(i);
            if (t > n * 1.2 + 0.1 && t < n * 1.2 + 0.9) note.push_back(f0[i]);
        }
        const double m = median(note);
        CAPTURE(n, scale_hz[n], m);
        CHECK(std::fabs(m - scale_hz[n]) / scale_hz[n] < 0.01);
    }
    // The gaps between notes read 0 Hz (below aubio's -50 dB silence).
    for (size_t i = 0; i < f0.size(); ++i) {
        const double t = r.time_at(i);
        if (t > 1.0 + 0.05 && t < 1.2 - 0.01) CHECK(f0[i] == 0.0);
    }
}

TEST_CASE("aubio_pitch: every method gives aubiopitch's values on the same file", "[analyzers][aubio]") {
    if (!at::available("aubiopitch")) {
        WARN("aubiopitch not installed: comparison skipped");
        return;
    }
    test::temp_dir dir;
    auto file = at::write_mono(dir, "C4_scale.wav", signals::c4_scale(44100));
    for (const char* method : {"yinfft", "yin", "yinfast", "mcomb", "fcomb", "schmitt", "specacf"}) {
        auto p = at::run_file<aubio_pitch>("aubio_pitch", file, {{"method", std::string(method)}});
        const auto& ours = values(*p, "aubio_pitch.pitch");
        const auto tool = at::rows_of(std::string("aubiopitch -i '") + file.string() + "' -p " + method + " -B 2048 -H 256");
        CAPTURE(method);
        REQUIRE(tool.size() == ours.size());
        double worst = 0, worst_time = 0;
        for (size_t i = 0; i < ours.size(); ++i) {
            REQUIRE(tool[i].size() == 2);
            CHECK(tool[i][0] == Approx(p->result("aubio_pitch.pitch").time_at(i)).margin(1e-5));
            // aubiopitch prints 6 decimals; a relative allowance covers its float formatting.
            const double d = std::fabs(ours[i] - tool[i][1]) / std::max(1.0, tool[i][1]);
            if (d > worst) worst = d, worst_time = tool[i][0];
        }
        CAPTURE(worst, worst_time);
        CHECK(worst < 1e-5);
    }
}

TEST_CASE("aubio_pitch: rows stream as events and a stereo input is mixed to mono", "[analyzers][aubio]") {
    auto mono = signals::sine(440, 1.0, 44100, 0.5);
    auto p = get_processor_as<aubio_pitch>("aubio_pitch");
    std::vector<analysis_event> events;
    p->set_event_sink([&](const analysis_event& e) { events.push_back(e); });
    (array_decoder::from_samples(signals::repeat_channels(mono, 2), 44100, 2, 1000) | p).run();
    const auto& f0 = values(*p, "aubio_pitch.pitch");
    REQUIRE(f0.size() == (44100 + 255) / 256);
    REQUIRE(events.size() == 2 * f0.size());
    CHECK(events[0].result_id == "aubio_pitch.pitch");
    CHECK(events[1].result_id == "aubio_pitch.pitch_confidence");
    CHECK(events[2 * 100].frame == 100 * 256);
    CHECK(events[2 * 100].values[0] == f0[100]);

    auto m = at::run_samples<aubio_pitch>("aubio_pitch", mono);
    CHECK(values(*m, "aubio_pitch.pitch") == f0);
    CHECK(f0[100] == Approx(440).epsilon(0.01));
}

TEST_CASE("aubio_pitch: bad methods and sizes are usage errors naming the valid values", "[analyzers][aubio]") {
    auto message = [](const raw_parameters& p) {
        try {
            get_processor("aubio_pitch", p);
        } catch (const usage_error& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    auto m = message({{"method", std::string("crepe")}});
    CHECK_THAT(m, Catch::Contains("method") && Catch::Contains("yinfft") && Catch::Contains("specacf"));
    m = message({{"buffer_size", std::string("2000")}});
    CHECK_THAT(m, Catch::Contains("buffer_size") && Catch::Contains("1024, 2048"));
    m = message({{"hop_size", std::string("4096")}});
    CHECK_THAT(m, Catch::Contains("hop_size=4096") && Catch::Contains("from 1 to 2048"));
    CHECK(message({{"buffer_size", std::string("4096")}, {"hop_size", std::string("4096")}}) == "accepted");
    CHECK_THAT(message({{"silence", std::string("10")}}), Catch::Contains("silence"));
}

TEST_CASE("aubio_pitch: silence, a constant and full-scale noise give finite values", "[analyzers][aubio]") {
    const std::vector<std::vector<float>> inputs{std::vector<float>(44100, 0.0f), std::vector<float>(44100, 0.5f),
                                                 at::full_scale_noise(44100), std::vector<float>(10, 0.3f)};
    for (const char* method : {"yinfft", "yin", "yinfast", "mcomb", "fcomb", "schmitt", "specacf"}) {
        for (size_t k = 0; k < inputs.size(); ++k) {
            auto p = at::run_samples<aubio_pitch>("aubio_pitch", inputs[k], 1, {{"method", std::string(method)}});
            CAPTURE(method, k);
            CHECK(!values(*p, "aubio_pitch.pitch").empty());
            for (const char* id : {"aubio_pitch.pitch", "aubio_pitch.pitch_confidence"})
                for (double v : values(*p, id)) CHECK(std::isfinite(v));
            if (k == 0)
                for (double v : values(*p, "aubio_pitch.pitch")) CHECK(v == 0.0);
        }
    }
}
