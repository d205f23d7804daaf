// onset_detection_function: peaks at the onsets of click and burst trains, equality with TimeSide's
// batch definition over the whole spectrogram, its parent inserted and shared by the pipe, and rows
// that come frame by frame (live), not only at the end.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "analyzers/onset_detection_function.hpp"
#include "analyzers/spectrogram.hpp"
#include "core/errors.hpp"
#include "core/pipe.hpp"
#include "core/registry.hpp"
#include "decoders/array_decoder.hpp"

using namespace timeside;

namespace {

constexpr int rate = 44100;

// Onsets at irregular offsets within a hop; each a burst of noise `length` frames long, over a
// faint noise floor (-40 dBFS).
std::vector<float> burst_train(const std::vector<int64_t>& onsets, int length, float amplitude, int64_t total) {
    std::mt19937 rng(11);
    std::uniform_real_distribution<float> u(-1, 1);
    std::vector<float> s(static_cast<size_t>(total));
    for (auto& x : s) x = 0.01f * u(rng);
    for (int64_t t : onsets)
        for (int i = 0; i < length; ++i) s[static_cast<size_t>(t + i)] = amplitude * u(rng);
    return s;
}

std::vector<int64_t> onsets_every(double seconds, int count) {
    std::vector<int64_t> out;
    for (int k = 0; k < count; ++k)
        out.push_back(static_cast<int64_t>((0.4 + k * seconds) * rate) + (k * 131) % 512);
    return out;
}

std::shared_ptr<onset_detection_function> make_odf(int blocksize = 1024, int stepsize = 512) {
    return get_processor_as<onset_detection_function>(
        "onset_detection_function",
        {{"input_blocksize", int64_t{blocksize}}, {"input_stepsize", int64_t{stepsize}}});
}

// TimeSide's post_process over a whole spectrogram (scipy's lfilter along time, zero initial state),
// here with silent frames before the start and the last frame held after the end, then read
// `latency` frames later. Taps as scipy gives them: hann(15)[8:] and remez(31, [0, .5], [π],
// type='differentiator').
std::vector<double> timeside_odf(const analyzer_result& spec, int latency) {
    const double smooth[7] = {0.9504844339512095, 0.8117449009293667, 0.6112604669781573, 0.38873953302184283,
                              0.1882550990706333, 0.04951556604879048, 0.0};
    const double half[15] = {0.22438025585774582, -0.2807341384857515, 0.09141412190881368, -0.06464283303338797,
                             0.05886894640847967, -0.05903478443886045, 0.06217795454738689, -0.0676083160206919,
                             0.0753934166476915,  -0.08641448219467168, 0.10234491886147323, -0.126823137686773,
                             0.16771302772043517, -0.2505552900762916,  0.5004644560732763};
    double diff[31];
    for (int j = 0; j < 15; ++j) diff[j] = half[j], diff[30 - j] = -half[j];
    diff[15] = 0;
    const size_t bins = spec.data.width, frames = spec.rows(), pre = 40;
    auto mag = [&](size_t n, size_t k) { return n < pre ? 0.0 : spec.data.value[(n - pre) * bins + k]; };
    std::vector<std::vector<double>> log_s(pre + frames + static_cast<size_t>(latency), std::vector<double>(bins));
    for (size_t n = 0; n < pre + frames; ++n)
        for (size_t k = 0; k < bins; ++k) {
            double v = 0;
            for (size_t j = 0; j < 7 && j <= n; ++j) v += smooth[j] * mag(n - j, k);
            log_s[n][k] = std::max(std::log10(std::max(v, 1e-9)), 1e-3);
        }
    for (size_t n = pre + frames; n < log_s.size(); ++n) log_s[n] = log_s[pre + frames - 1];
    std::vector<double> out;
    for (size_t n = pre + static_cast<size_t>(latency); n < log_s.size(); ++n) {
        double sum = 0;
        for (size_t k = 0; k < bins; ++k) {
            double y = 0;
            for (size_t j = 0; j < 31 && j <= n; ++j) y += diff[j] * log_s[n - j][k];
            if (y >= 1e-10) sum += y;
        }
        out.push_back(sum);
    }
    return out;
}

// For each onset, where the function peaks within half the spacing around it, between rows: the
// differentiator answers a step equally on two adjacent rows, so the peak is located by a parabola
// through the largest row and its neighbours (a tie reads as their midpoint).
void check_peaks_at_onsets(const analyzer_result& r, const std::vector<int64_t>& onsets, int step,
                           int64_t spacing) {
    const auto& v = r.data.value;
    for (int64_t t : onsets) {
        const auto from = static_cast<size_t>(std::max<int64_t>(1, (t - spacing / 2) / step));
        const auto to = std::min(r.rows() - 1, static_cast<size_t>((t + spacing / 2) / step));
        const auto peak = static_cast<size_t>(
            std::max_element(v.begin() + static_cast<std::ptrdiff_t>(from), v.begin() + static_cast<std::ptrdiff_t>(to)) -
            v.begin());
        REQUIRE(v[peak] > 0);
        const double a = v[peak - 1], b = v[peak], c = v[peak + 1];
        const double shift = a - 2 * b + c != 0 ? 0.5 * (a - c) / (a - 2 * b + c) : 0.0;
        const double at = (r.time_at(peak) * rate + shift * step) / rate;
        INFO("onset at " << static_cast<double>(t) / rate << " s, peak at " << at << " s");
        CHECK(std::fabs(at - static_cast<double>(t) / rate) <= static_cast<double>(step) / rate);
    }
}

}  // namespace

TEST_CASE("the function peaks within one hop of each onset of a burst train", "[analyzers][spectral]") {
    const auto onsets = onsets_every(0.5, 10);
    const auto s = burst_train(onsets, rate / 10, 0.5f, rate * 6);
    for (auto [block, step] : {std::pair{1024, 512}, std::pair{2048, 512}, std::pair{512, 256}}) {
        auto odf = make_odf(block, step);
        (array_decoder::from_samples(s, rate, 1) | odf).run();
        INFO("blocksize " << block << " stepsize " << step);
        check_peaks_at_onsets(odf->result("onset_detection_function"), onsets, step, rate / 2);
    }
}

TEST_CASE("the function peaks within one hop of each click of a click train", "[analyzers][spectral]") {
    // Clicks: 3 ms of full-scale noise (a single-sample click stays under TimeSide's log floor).
    const auto onsets = onsets_every(0.3, 12);
    const auto s = burst_train(onsets, 132, 1.0f, rate * 5);
    for (auto [block, step] : {std::pair{1024, 512}, std::pair{2048, 512}, std::pair{512, 256}}) {
        auto odf = make_odf(block, step);
        (array_decoder::from_samples(s, rate, 1) | odf).run();
        INFO("blocksize " << block << " stepsize " << step);
        check_peaks_at_onsets(odf->result("onset_detection_function"), onsets, step, rate * 3 / 10);
    }
}

TEST_CASE("the function equals TimeSide's definition over the whole spectrogram", "[analyzers][spectral]") {
    const auto s = burst_train(onsets_every(0.37, 6), 3000, 0.7f, rate * 3);
    // An equal spectrogram added first is shared with the function's and keeps its rows.
    auto sp = get_processor_as<spectrogram>(
        "spectrogram_analyzer",
        {{"input_blocksize", int64_t{1024}}, {"input_stepsize", int64_t{512}}, {"fft_size", int64_t{1024}}});
    auto odf = make_odf();
    timeside::pipe p = array_decoder::from_samples(s, rate, 1, 4000) | sp | odf;
    p.run();
    REQUIRE(p.processors().size() == 2);
    const auto& spec = sp->result("spectrogram_analyzer");
    const auto& r = odf->result("onset_detection_function");
    const auto expected = timeside_odf(spec, odf->latency_frames());
    REQUIRE(r.rows() == spec.rows());
    REQUIRE(expected.size() == r.rows());
    for (size_t i = 0; i < expected.size(); ++i)
        if (std::fabs(r.data.value[i] - expected[i]) > 1e-9 * (1 + expected[i]))
            FAIL("row " << i << ": " << r.data.value[i] << " vs " << expected[i]);
    CHECK(r.frames.stepsize == 512);
    CHECK(r.frames.blocksize == 1024);
    CHECK(r.data.width == 0);
}

TEST_CASE("the pipe inserts the spectrogram parent, shares it, and leaves it out of the results",
          "[analyzers][spectral]") {
    auto s = burst_train(onsets_every(0.5, 2), 2000, 0.5f, rate * 2);
    auto a = make_odf(), b = make_odf(), c = make_odf(2048, 1024);
    timeside::pipe p = array_decoder::from_samples(s, rate, 1) | a | b | c;
    p.run();
    REQUIRE(p.processors().size() == 5);  // two spectrograms, three functions
    CHECK(p.processors()[0]->id() == "spectrogram_analyzer");
    CHECK(a->parents().at(0) == b->parents().at(0));
    CHECK(a->parents().at(0) != c->parents().at(0));
    const auto results = p.results();
    REQUIRE(results.size() == 3);
    for (const auto& r : results) CHECK(r.id.id == "onset_detection_function");
    CHECK(a->result("onset_detection_function").data.value == b->result("onset_detection_function").data.value);
    CHECK(c->result("onset_detection_function").rows() == static_cast<size_t>(rate * 2 + 1023) / 1024);
}

TEST_CASE("rows come frame by frame while the stream runs, with their frame stamps", "[analyzers][spectral]") {
    auto odf = make_odf();
    auto sp = std::dynamic_pointer_cast<spectrogram>(odf->parents().at(0));
    REQUIRE(sp);
    std::vector<analysis_event> events;
    odf->set_event_sink([&](const analysis_event& e) { events.push_back(e); });
    const int64_t total = rate * 2, block = 4410;
    const auto s = burst_train(onsets_every(0.5, 3), 2000, 0.5f, total);
    stream_info in;
    in.format = {rate, 1};
    in.blocksize = static_cast<int>(block);
    sp->setup(in);
    odf->setup(in);
    const auto& r = odf->result("onset_detection_function");
    for (int64_t pos = 0; pos < total; pos += block) {
        auto b = block::make(in.format, pos, std::vector<float>(s.begin() + pos, s.begin() + pos + block));
        sp->process(b);
        odf->process(b);
        const int64_t end = pos + block;
        const int64_t windows = end < 1024 ? 0 : (end - 1024) / 512 + 1;
        CHECK(static_cast<int64_t>(r.appended_rows) == std::max<int64_t>(0, windows - odf->latency_frames()));
    }
    CHECK(r.appended_rows > 100);  // most rows before the end
    sp->finish();
    odf->finish();
    const size_t rows = static_cast<size_t>((total + 511) / 512);
    CHECK(r.rows() == rows);
    REQUIRE(events.size() == rows);
    for (size_t i = 0; i < rows; ++i) {
        CHECK(events[i].frame == static_cast<int64_t>(i) * 512);
        CHECK(events[i].values.at(0) == r.data.value[i]);
    }
}

TEST_CASE("the function is zero on silence and finite on a constant or full-scale noise",
          "[analyzers][spectral]") {
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> u(-1, 1);
    std::vector<float> noise(rate * 2);
    for (auto& x : noise) x = u(rng) < 0 ? -1.0f : 1.0f;
    int kind = 0;
    for (const auto& s : {std::vector<float>(rate, 0.0f), std::vector<float>(rate, 1.0f), noise}) {
        auto odf = make_odf();
        (array_decoder::from_samples(s, rate, 1) | odf).run();
        const auto& v = odf->result("onset_detection_function").data.value;
        REQUIRE(v.size() == (s.size() + 511) / 512);
        for (double x : v) {
            REQUIRE(std::isfinite(x));
            REQUIRE(x >= 0);
            if (kind == 0) REQUIRE(x == 0);
        }
        ++kind;
    }
}

TEST_CASE("bad onset function parameters are usage errors naming them", "[analyzers][spectral]") {
    CHECK_THROWS_WITH(make_odf(1024, 2048), Catch::Contains("input_stepsize=2048") && Catch::Contains("1024"));
    CHECK_THROWS_AS(make_odf(1000, 500), usage_error);
    CHECK_THROWS_WITH(make_odf(1000, 500), Catch::Contains("input_blocksize") && Catch::Contains("1024"));
}
