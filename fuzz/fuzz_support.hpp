// What the libFuzzer targets in fuzz/ share: a scratch folder per process, a tiny WAV to serve or
// decode, and fail(), which names a broken property and aborts so that libFuzzer keeps the input.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

namespace timeside::fuzz {

// A new folder under $TMPDIR (or /tmp), removed when the process exits normally.
inline std::filesystem::path scratch_dir(const char* name) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/timeside-fuzz-" + name + "-XXXXXX";
    if (!mkdtemp(pattern.data())) {
        std::perror("mkdtemp");
        std::abort();
    }
    static std::filesystem::path made;
    made = pattern;
    std::atexit([] {
        std::error_code ec;
        std::filesystem::remove_all(made, ec);
    });
    return made;
}

// 16-bit PCM WAV: a 440 Hz sine at -6 dBFS on every channel.
inline std::string tiny_wav(uint32_t rate, uint16_t channels, uint32_t frames) {
    std::string out;
    auto put = [&](uint64_t v, int bytes) {
        for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
    };
    const uint32_t data = frames * channels * 2;
    out += "RIFF";
    put(36 + data, 4);
    out += "WAVEfmt ";
    put(16, 4);
    put(1, 2);
    put(channels, 2);
    put(rate, 4);
    put(rate * channels * 2u, 4);
    put(channels * 2u, 2);
    put(16, 2);
    out += "data";
    put(data, 4);
    for (uint32_t i = 0; i < frames; ++i) {
        const auto s = static_cast<int16_t>(16384 * std::sin(2 * M_PI * 440.0 * i / rate));
        for (uint16_t c = 0; c < channels; ++c) put(static_cast<uint16_t>(s), 2);
    }
    return out;
}

inline void write_file(const std::filesystem::path& p, std::string_view bytes) {
    std::ofstream(p, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// `bytes` with what is not printable ASCII escaped (\r, \n, \xff), at most `max` of them.
inline std::string escaped(std::string_view bytes, size_t max = 400) {
    std::string out;
    for (size_t i = 0; i < bytes.size() && i < max; ++i) {
        const auto c = static_cast<unsigned char>(bytes[i]);
        if (c == '\r') out += "\\r";
        else if (c == '\n') out += "\\n";
        else if (c == '\\') out += "\\\\";
        else if (c >= 0x20 && c < 0x7f) out += static_cast<char>(c);
        else {
            static const char* hex = "0123456789abcdef";
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    if (bytes.size() > max) out += "...";
    return out;
}

// A property the target checks does not hold: say which, then abort (libFuzzer saves the input).
[[noreturn]] inline void fail(const std::string& what) {
    std::fprintf(stderr, "\n==FUZZ FINDING== %s\n", what.c_str());
    std::fflush(stderr);
    std::abort();
}

}  // namespace timeside::fuzz
