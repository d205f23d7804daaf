// Signal generators. Phases are computed in double from the sample index (never accumulated),
// so long signals do not drift.
#include "decoders/signals.hpp"

#include <algorithm>
#include <cmath>

namespace timeside::signals {

int64_t frames_for(double seconds, int samplerate) {
    return static_cast<int64_t>(std::ceil(seconds * samplerate - 1e-9));
}

std::vector<float> log_sweep(double f0, double f1, double seconds, int samplerate) {
    const int64_t n = frames_for(seconds, samplerate);
    std::vector<float> out(static_cast<size_t>(n));
    // scipy.signal.chirp(t, f0, t1, f1, 'logarithmic') with t in samples, frequencies per sample.
    const double a = f0 / samplerate, b = f1 / samplerate;
    const double t1 = static_cast<double>(n - 1);
    const double k = std::log(b / a);
    for (int64_t i = 0; i < n; ++i) {
        double t = static_cast<double>(i);
        double phase = 2 * M_PI * t1 * a / k * (std::pow(b / a, t / t1) - 1.0);
        out[static_cast<size_t>(i)] = static_cast<float>(std::cos(phase));
    }
    return out;
}

std::vector<float> sine(double freq, double seconds, int samplerate, double amplitude) {
    const int64_t n = frames_for(seconds, samplerate);
    std::vector<float> out(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i)
        out[static_cast<size_t>(i)] =
            static_cast<float>(amplitude * std::sin(2 * M_PI * freq * static_cast<double>(i) / samplerate));
    return out;
}

std::vector<float> silence(double seconds, int samplerate) {
    return std::vector<float>(static_cast<size_t>(frames_for(seconds, samplerate)), 0.0f);
}

namespace {
// splitmix64: tiny, well-distributed, and defined by its arithmetic alone.
uint64_t next(uint64_t& state) {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
double uniform(uint64_t& state) { return (static_cast<double>(next(state) >> 11) + 0.5) / 9007199254740992.0; }
}  // namespace

std::vector<float> white_noise(double seconds, int samplerate, uint64_t seed) {
    const int64_t n = frames_for(seconds, samplerate);
    std::vector<double> v(static_cast<size_t>(n));
    uint64_t state = seed;
    for (size_t i = 0; i < v.size(); i += 2) {  // Box-Muller, two values per pair of draws
        double r = std::sqrt(-2.0 * std::log(uniform(state)));
        double th = 2 * M_PI * uniform(state);
        v[i] = r * std::cos(th);
        if (i + 1 < v.size()) v[i + 1] = r * std::sin(th);
    }
    double peak = 0;
    for (double x : v) peak = std::max(peak, std::fabs(x));
    std::vector<float> out(v.size());
    for (size_t i = 0; i < v.size(); ++i) out[i] = static_cast<float>(peak > 0 ? v[i] / peak : 0.0);
    return out;
}

std::vector<float> c4_scale(int samplerate) {
    static const double notes[] = {261.63, 293.66, 329.63, 349.23, 392.00, 440.00, 493.88, 523.25};
    std::vector<float> out;
    for (size_t i = 0; i < std::size(notes); ++i) {
        if (i > 0) {
            auto gap = silence(0.2, samplerate);
            out.insert(out.end(), gap.begin(), gap.end());
        }
        auto note = sine(notes[i], 1.0, samplerate);
        out.insert(out.end(), note.begin(), note.end());
    }
    return out;
}

std::vector<float> repeat_channels(const std::vector<float>& mono, int channels) {
    std::vector<float> out(mono.size() * static_cast<size_t>(channels));
    for (size_t i = 0; i < mono.size(); ++i)
        for (int c = 0; c < channels; ++c) out[i * channels + c] = mono[i];
    return out;
}

}  // namespace timeside::signals
