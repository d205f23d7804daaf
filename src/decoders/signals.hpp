// Deterministic test signals, as TimeSide's test_samples generates them: a logarithmic chirp
// (scipy.signal.chirp's definition), sines, Gaussian white noise normalised to a peak of 1, and
// the C4 major scale. Mono; interleave with `repeat_channels` for more.
#pragma once

#include <cstdint>
#include <vector>

namespace timeside::signals {

// Logarithmic chirp from f0 to f1 Hz over `seconds`, amplitude 1, starting at cos(0) = 1.
std::vector<float> log_sweep(double f0, double f1, double seconds, int samplerate);
std::vector<float> sine(double freq, double seconds, int samplerate, double amplitude = 1.0);
std::vector<float> silence(double seconds, int samplerate);
// Gaussian noise from a fixed-seed generator (same bytes on every machine), peak exactly 1.
std::vector<float> white_noise(double seconds, int samplerate, uint64_t seed = 0x5eed);
// C4 D4 E4 F4 G4 A4 B4 C5, 1 s each, 0.2 s of silence between: 9.4 s.
std::vector<float> c4_scale(int samplerate);

std::vector<float> repeat_channels(const std::vector<float>& mono, int channels);
// Number of samples TimeSide uses for a duration: ceil(seconds * rate).
int64_t frames_for(double seconds, int samplerate);

}  // namespace timeside::signals
