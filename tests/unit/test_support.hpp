// Helpers shared by the unit tests: generated signals, temporary directories, running a pipe.
#pragma once

#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

namespace timeside::test {

// A fresh directory under the system's temp dir, removed with everything in it at scope exit.
class temp_dir {
public:
    temp_dir() {
        auto base = std::filesystem::temp_directory_path();
        std::string pattern = (base / "timeside-test-XXXXXX").string();
        path_ = mkdtemp(pattern.data());
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

// Polls `condition` until it holds or `limit` passes; whether it held. For a state another
// thread reaches (or must not reach: `!eventually(...)` over a short limit, once the thread is
// known to have run up to that point).
template <class F>
bool eventually(F condition, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!condition()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
}

// Interleaved sine, `channels` identical channels.
inline std::vector<float> sine(double freq, int samplerate, int64_t frames, int channels = 1,
                               double amplitude = 1.0) {
    std::vector<float> out(static_cast<size_t>(frames * channels));
    for (int64_t i = 0; i < frames; ++i) {
        float v = static_cast<float>(amplitude * std::sin(2 * M_PI * freq * static_cast<double>(i) / samplerate));
        for (int c = 0; c < channels; ++c) out[static_cast<size_t>(i * channels + c)] = v;
    }
    return out;
}

}  // namespace timeside::test

#include <cstdint>
#include <fstream>

namespace timeside::test {

// The 44-byte header of a 16-bit PCM WAV holding `frames` frames, independent of the project's
// encoders, for decoder tests.
inline std::string wav16_header(int64_t frames, int samplerate, int channels) {
    std::string h;
    auto u32 = [&](uint32_t v) { h.append(reinterpret_cast<const char*>(&v), 4); };
    auto u16 = [&](uint16_t v) { h.append(reinterpret_cast<const char*>(&v), 2); };
    const auto data = static_cast<uint32_t>(frames * channels * 2);
    h += "RIFF";
    u32(36 + data);
    h += "WAVEfmt ";
    u32(16);
    u16(1);
    u16(static_cast<uint16_t>(channels));
    u32(static_cast<uint32_t>(samplerate));
    u32(static_cast<uint32_t>(samplerate * channels * 2));
    u16(static_cast<uint16_t>(channels * 2));
    u16(16);
    h += "data";
    u32(data);
    return h;
}

// A minimal 16-bit PCM WAV writer, for decoder tests.
inline void write_wav16(const std::filesystem::path& path, const std::vector<int16_t>& interleaved,
                        int samplerate, int channels) {
    std::ofstream f(path, std::ios::binary);
    const std::string head = wav16_header(static_cast<int64_t>(interleaved.size()) / channels, samplerate, channels);
    f.write(head.data(), static_cast<std::streamsize>(head.size()));
    f.write(reinterpret_cast<const char*>(interleaved.data()), static_cast<std::streamsize>(interleaved.size() * 2));
}

// A deterministic 16-bit ramp-and-noise signal: every sample differs from its neighbours, so an
// off-by-one frame shows.
inline std::vector<int16_t> pcm16_signal(int64_t frames, int channels) {
    std::vector<int16_t> out(static_cast<size_t>(frames * channels));
    uint32_t state = 12345;
    for (size_t i = 0; i < out.size(); ++i) {
        state = state * 1664525u + 1013904223u;
        out[i] = static_cast<int16_t>((state >> 16) & 0xffff);
    }
    return out;
}

}  // namespace timeside::test
