// lpc_extension: a tone's continuation predicted sample for sample, faded to silence; silence,
// short histories and noise never give more than the history had.
#include "encoders/lpc_extension.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <numbers>

using namespace timeside;

namespace {

// Two channels: 1 kHz and 2.5 kHz at 48 kHz, from frame `from` for `frames` frames.
std::vector<float> two_tones(int64_t from, int64_t frames) {
    std::vector<float> out;
    for (int64_t i = from; i < from + frames; ++i) {
        const double t = static_cast<double>(i) / 48000;
        out.push_back(static_cast<float>(0.5 * std::sin(2 * std::numbers::pi * 1000 * t)));
        out.push_back(static_cast<float>(0.3 * std::sin(2 * std::numbers::pi * 2500 * t + 1)));
    }
    return out;
}

}  // namespace

TEST_CASE("lpc_extension continues tones where they were going, then fades them out", "[encoders]") {
    const auto history = two_tones(0, 480);
    const auto ext = lpc_extension(history, 2, 120);
    REQUIRE(ext.size() == 240);
    const auto truth = two_tones(480, 120);
    for (int64_t t = 0; t < 120; ++t) {
        const double fade = std::pow(std::cos(std::numbers::pi / 2 * static_cast<double>(t + 1) / 121), 2);
        for (int c = 0; c < 2; ++c) {
            INFO("frame " << t << ", channel " << c);
            const auto i = static_cast<size_t>(t * 2 + c);
            // The tone's phase, at its faded level less the predictor's damping (the autocorrelation
            // method's bias: some 4% per quarter period at 1 kHz), never more than the tone.
            const double amplitude = c == 0 ? 0.5 : 0.3;
            CHECK(std::abs(ext[i] - truth[i] * fade) <= 0.01 * amplitude + 0.3 * std::abs(truth[i]) * fade);
            CHECK(std::abs(ext[i]) <= amplitude * fade + 1e-6);
        }
    }
    // The first frames continue the tone without a step; the last is all but silent.
    for (size_t i = 0; i < 6; ++i) CHECK(std::abs(ext[i] - truth[i]) < 0.005);
    CHECK(std::abs(ext[238]) < 0.001);
    CHECK(std::abs(ext[239]) < 0.001);
}

TEST_CASE("lpc_extension gives silence for silence and for too short a history", "[encoders]") {
    const std::vector<float> silent(2 * 480, 0.0f);
    for (float x : lpc_extension(silent, 2, 120)) CHECK(x == 0.0f);
    const auto brief = two_tones(0, 47);
    for (float x : lpc_extension(brief, 2, 120)) CHECK(x == 0.0f);
    CHECK(lpc_extension(two_tones(0, 480), 2, 0).empty());
}

TEST_CASE("lpc_extension of noise stays finite and within the history's peak", "[encoders]") {
    std::vector<float> noise(480);
    uint32_t state = 7;
    float peak = 0;
    for (auto& x : noise) {
        state = state * 1664525u + 1013904223u;
        x = 0.8f * (static_cast<float>(state >> 8) / 8388608.0f - 1.0f);
        peak = std::max(peak, std::abs(x));
    }
    for (float x : lpc_extension(noise, 1, 120)) {
        CHECK(std::isfinite(x));
        CHECK(std::abs(x) <= 2 * peak);
    }
}
