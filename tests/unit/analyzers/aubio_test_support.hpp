// Helpers for the aubio_* analyzer tests: the signals they are checked on, written as 16-bit WAV so
// that our analyzers (through file_decoder) and the aubio command-line tools (aubioonset,
// aubiotrack, aubiopitch, aubiomfcc, run through popen) read the very same samples.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "../test_support.hpp"
#include "core/pipe.hpp"
#include "core/registry.hpp"
#include "decoders/array_decoder.hpp"

namespace timeside::test::aubio_tools {

inline bool available(const std::string& tool) {
    return std::system(("command -v " + tool + " >/dev/null 2>&1").c_str()) == 0;
}

// The numbers on each line of a command's output ("0.005805 263.191254" -> {0.005805, 263.19}).
inline std::vector<std::vector<double>> rows_of(const std::string& cmd) {
    std::vector<std::vector<double>> rows;
    FILE* f = popen((cmd + " 2>/dev/null").c_str(), "r");
    if (!f) return rows;
    char line[8192];
    while (std::fgets(line, sizeof line, f)) {
        std::istringstream in(line);
        std::vector<double> row;
        for (double v; in >> v;) row.push_back(v);
        if (!row.empty()) rows.push_back(std::move(row));
    }
    pclose(f);
    return rows;
}

// First column of each line: the event times aubioonset and aubiotrack print.
inline std::vector<double> times_of(const std::string& cmd) {
    std::vector<double> out;
    for (auto& r : rows_of(cmd)) out.push_back(r[0]);
    return out;
}

inline std::filesystem::path write_mono(const temp_dir& dir, const std::string& name, const std::vector<float>& s,
                                        int samplerate = 44100) {
    std::vector<int16_t> pcm(s.size());
    for (size_t i = 0; i < s.size(); ++i)
        pcm[i] = static_cast<int16_t>(std::lround(std::clamp(s[i], -1.0f, 1.0f) * 32767.0f));
    auto path = dir / name;
    write_wav16(path, pcm, samplerate, 1);
    return path;
}

// Runs one analyzer over a file through the real decoder.
template <class A>
std::shared_ptr<A> run_file(const std::string& id, const std::filesystem::path& file, const raw_parameters& params = {}) {
    auto a = get_processor_as<A>(id, params);
    (get_processor("file_decoder", {{"uri", file.string()}}) | a).run();
    return a;
}

// Runs one analyzer over samples in memory.
template <class A>
std::shared_ptr<A> run_samples(const std::string& id, std::vector<float> s, int channels = 1,
                               const raw_parameters& params = {}, int samplerate = 44100) {
    auto a = get_processor_as<A>(id, params);
    (array_decoder::from_samples(std::move(s), samplerate, channels) | a).run();
    return a;
}

// 29 decaying notes and noise bursts of varied pitch, level and length over 12 s: material on
// which every onset method finds onsets (a plucked-instrument line, deterministic).
inline std::vector<float> notes(int samplerate = 44100) {
    std::vector<double> x(static_cast<size_t>(12 * samplerate), 0.0);
    uint32_t state = 12345;
    auto rnd = [&] {
        state = state * 1664525u + 1013904223u;
        return state / 4294967296.0;
    };
    double t = 0.25;
    for (int k = 0; t < 11.5; ++k) {
        const double f = 220 * std::pow(2.0, (k * 5 % 17) / 12.0);
        const double amp = 0.25 + 0.6 * rnd();
        const auto len = static_cast<size_t>((0.2 + 0.35 * rnd()) * samplerate);
        const auto start = static_cast<size_t>(t * samplerate);
        for (size_t i = 0; i < len && start + i < x.size(); ++i) {
            const double tt = static_cast<double>(i) / samplerate;
            const double env = std::min(tt / 0.003, 1.0) * std::exp(-tt / 0.15);
            const double v = k % 4 == 3 ? (rnd() * 2 - 1) * std::exp(-tt / 0.05)
                                        : std::sin(2 * M_PI * f * tt) + 0.3 * std::sin(4 * M_PI * f * tt);
            x[start + i] += amp * env * v;
        }
        t += static_cast<double>(len) / samplerate + 0.05 * rnd();
    }
    return std::vector<float>(x.begin(), x.end());
}

// A metronome: a 5 ms, 2 kHz click every 60 / bpm seconds, digital silence between.
inline std::vector<float> click_track(double bpm, double seconds, int samplerate = 44100) {
    std::vector<float> x(static_cast<size_t>(seconds * samplerate), 0.0f);
    const double period = 60.0 / bpm;
    for (double t = 0; t < seconds; t += period) {
        const auto start = static_cast<size_t>(std::lround(t * samplerate));
        for (size_t i = 0; i < static_cast<size_t>(0.005 * samplerate) && start + i < x.size(); ++i) {
            const double tt = static_cast<double>(i) / samplerate;
            x[start + i] = static_cast<float>(0.9 * std::sin(2 * M_PI * 2000 * tt) * (1 - tt / 0.005));
        }
    }
    return x;
}

// Full-scale uniform noise (every sample in [-1, 1]), deterministic.
inline std::vector<float> full_scale_noise(size_t n) {
    std::vector<float> x(n);
    uint32_t state = 987654321u;
    for (auto& v : x) {
        state = state * 1664525u + 1013904223u;
        v = static_cast<float>(state / 2147483648.0 - 1.0);
    }
    return x;
}

}  // namespace timeside::test::aubio_tools
