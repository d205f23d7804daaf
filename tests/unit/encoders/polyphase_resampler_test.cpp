// polyphase_resampler and rate_converter: a tone converted matches the exact tone at the new rate (and speexdsp's
// quality 5, the reference it replaces, no better), clicks land where speexdsp puts them, chunks do
// not change the output, and going down leaves nothing above the new Nyquist.
#include "core/errors.hpp"
#include "encoders/polyphase_resampler.hpp"
#include "encoders/rate_converter.hpp"

#include <speex/speex_resampler.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <numbers>

using namespace timeside;

namespace {

std::vector<float> tone(double freq, int rate, int64_t frames, double amplitude = 0.5) {
    std::vector<float> out(static_cast<size_t>(frames));
    for (int64_t i = 0; i < frames; ++i)
        out[static_cast<size_t>(i)] = static_cast<float>(
            amplitude * std::sin(2 * std::numbers::pi * freq * static_cast<double>(i) / rate));
    return out;
}

// Mono through ours, with the latency's silence after it so every output frame comes out.
std::vector<float> ours(const std::vector<float>& in, int in_rate, int out_rate) {
    auto r = polyphase_resampler::make(1, in_rate, out_rate);
    REQUIRE(r);
    std::vector<float> out;
    r->process(in.data(), static_cast<int64_t>(in.size()), out);
    const std::vector<float> silence(static_cast<size_t>(r->latency()), 0.0f);
    r->process(silence.data(), static_cast<int64_t>(silence.size()), out);
    return out;
}

std::vector<float> speex(const std::vector<float>& in, int in_rate, int out_rate) {
    int err = 0;
    auto* st = speex_resampler_init(1, static_cast<spx_uint32_t>(in_rate),
                                    static_cast<spx_uint32_t>(out_rate), 5, &err);
    REQUIRE(st);
    speex_resampler_skip_zeros(st);
    std::vector<float> padded = in;
    padded.resize(in.size() + static_cast<size_t>(speex_resampler_get_input_latency(st)), 0.0f);
    std::vector<float> out(padded.size() * static_cast<size_t>(out_rate) / static_cast<size_t>(in_rate) + 64);
    auto in_len = static_cast<spx_uint32_t>(padded.size());
    auto out_len = static_cast<spx_uint32_t>(out.size());
    speex_resampler_process_float(st, 0, padded.data(), &in_len, out.data(), &out_len);
    speex_resampler_destroy(st);
    out.resize(out_len);
    return out;
}

// The error against `expected` over [from, to), in dB under the expected signal's power.
double error_db(const std::vector<float>& got, const std::vector<float>& expected, size_t from, size_t to) {
    double err = 0, power = 0;
    for (size_t i = from; i < to; ++i) {
        err += (got[i] - expected[i]) * (got[i] - expected[i]);
        power += expected[i] * expected[i];
    }
    return 10 * std::log10(err / power);
}

double rms_db(const std::vector<float>& s, size_t from, size_t to) {
    double power = 0;
    for (size_t i = from; i < to; ++i) power += s[i] * s[i];
    return 10 * std::log10(power / static_cast<double>(to - from));
}

}  // namespace

TEST_CASE("polyphase_resampler turns tones into the same tones at the new rate", "[encoders][resampler]") {
    const int in_rate = GENERATE(44100, 22050, 8000, 32000, 96000, 88200);
    const double freq = GENERATE(440.0, 1000.0, 3000.0);
    INFO(in_rate << " Hz -> 48 kHz, " << freq << " Hz");
    const int64_t frames = in_rate;  // one second
    const auto in = tone(freq, in_rate, frames);
    const auto got = ours(in, in_rate, 48000);
    // Every output frame of the second, and no more.
    CHECK(static_cast<int64_t>(got.size()) == (frames * 48000 + in_rate - 1) / in_rate);
    const auto exact = tone(freq, 48000, 48000);
    // Away from the edges (where the input starts and stops), 100 dB under the exact tone (16-bit
    // audio's own noise is 98 dB down), and within 4 dB of speexdsp's quality 5 (-107 to -114 dB)
    // or closer: measured -105 to -120 dB.
    const double e = error_db(got, exact, 2000, 46000);
    const double reference = error_db(speex(in, in_rate, 48000), exact, 2000, 46000);
    INFO("error " << e << " dB, speexdsp's " << reference << " dB");
    CHECK(e < -100);
    CHECK(e < reference + 4);
}

TEST_CASE("polyphase_resampler keeps the passband's level up to 18 kHz", "[encoders][resampler]") {
    const double freq = GENERATE(100.0, 10000.0, 15000.0, 18000.0);
    INFO(freq << " Hz");
    const auto got = ours(tone(freq, 44100, 44100), 44100, 48000);
    CHECK(rms_db(got, 2000, 46000) == Approx(20 * std::log10(0.5 / std::sqrt(2))).margin(0.1));
}

TEST_CASE("polyphase_resampler puts a click where speexdsp does, with no leading delay",
          "[encoders][resampler]") {
    for (int64_t at : {10000, 10001, 20017}) {
        INFO("click at input frame " << at);
        std::vector<float> in(44100, 0.0f);
        in[static_cast<size_t>(at)] = 1.0f;
        auto peak = [](const std::vector<float>& s) {
            return std::max_element(s.begin(), s.end()) - s.begin();
        };
        const auto expected =
            static_cast<std::ptrdiff_t>(std::lround(static_cast<double>(at) * 48000 / 44100));
        CHECK(std::abs(peak(ours(in, 44100, 48000)) - expected) <= 1);
        CHECK(peak(ours(in, 44100, 48000)) == peak(speex(in, 44100, 48000)));
    }
}

TEST_CASE("polyphase_resampler gives the same output whatever the chunks", "[encoders][resampler]") {
    const int channels = 2;
    std::vector<float> in;
    for (float x : tone(1234, 44100, 30000)) {
        in.push_back(x);
        in.push_back(-0.5f * x);
    }
    auto whole = polyphase_resampler::make(channels, 44100, 48000);
    std::vector<float> a;
    whole->process(in.data(), 30000, a);
    auto chunked = polyphase_resampler::make(channels, 44100, 48000);
    std::vector<float> b;
    uint32_t state = 99;
    for (int64_t done = 0; done < 30000;) {
        state = state * 1664525u + 1013904223u;
        const int64_t n = std::min<int64_t>(30000 - done, (state >> 20) % 700);  // 0 to 699 frames
        chunked->process(in.data() + done * channels, n, b);
        done += n;
    }
    REQUIRE(a.size() == b.size());
    CHECK(a == b);
    // Channels stay apart: the right one is the left at -0.5.
    for (size_t i = 2000; i + 1 < a.size(); i += 2) REQUIRE(a[i + 1] == Approx(-0.5f * a[i]).margin(1e-6));
}

TEST_CASE("polyphase_resampler going down leaves nothing above the new Nyquist", "[encoders][resampler]") {
    // 30 kHz at 96 kHz would fold to 18 kHz at 48: it must be gone, 70 dB down.
    const auto got = ours(tone(30000, 96000, 96000), 96000, 48000);
    CHECK(rms_db(got, 2000, 46000) < 20 * std::log10(0.5 / std::sqrt(2)) - 70);
}

TEST_CASE("polyphase_resampler takes the usual rates and declines ratios of too many phases",
          "[encoders][resampler]") {
    for (int rate :
         {8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000, 176400, 192000})
        CHECK(polyphase_resampler::make(2, rate, 48000) != nullptr);
    CHECK(polyphase_resampler::make(2, 44056, 48000) == nullptr);  // 6,000 phases
    CHECK(polyphase_resampler::make(0, 44100, 48000) == nullptr);
}

TEST_CASE("rate_converter takes odd rates through speexdsp, the usual ones through the table, alike",
          "[encoders][resampler]") {
    // 44,056 Hz needs 6,000 phases (speexdsp); 44,100 Hz 160 (the table). Both give the tone at
    // 48 kHz from its first frame on, 100 dB under the exact tone.
    for (int rate : {44056, 44100}) {
        INFO(rate << " Hz");
        const auto in = tone(1000, rate, rate);
        rate_converter converter(1, rate, 48000);
        std::vector<float> got;
        converter.process(in.data(), static_cast<int64_t>(in.size()), got);
        const std::vector<float> silence(200, 0.0f);
        converter.process(silence.data(), 200, got);
        REQUIRE(got.size() >= 48000);
        CHECK(error_db(got, tone(1000, 48000, 48000), 2000, 46000) < -100);
    }
    CHECK_THROWS_AS(rate_converter(1, 0, 48000), usage_error);
}
