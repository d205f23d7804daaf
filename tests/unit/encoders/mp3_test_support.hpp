// Helpers for the mp3_encoder tests: FFmpeg and ffprobe through popen as outside references, and
// MPEG layer III frames and ID3v2 sizes parsed from the specs, independently of the encoder's own
// parser.
#pragma once

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "core/byte_sink.hpp"
#include "encoder_test_support.hpp"

namespace timeside::test {

// Frames FFmpeg decodes from the file (as float, so nothing is lost to the count).
inline int64_t ffmpeg_frames(const std::filesystem::path& path, int channels) {
    return static_cast<int64_t>(ffmpeg_decode(path).size()) / channels;
}

// ffprobe's "key=value" lines for the first audio stream and the container's tags.
inline std::map<std::string, std::string> ffprobe(const std::filesystem::path& path) {
    std::istringstream lines(
        run_command("ffprobe -v error -select_streams a:0 -show_entries "
                    "stream=codec_name,sample_rate,channels,bit_rate:format_tags -of default=nw=1 '" +
                    path.string() + "'"));
    std::map<std::string, std::string> out;
    for (std::string line; std::getline(lines, line);)
        if (auto eq = line.find('='); eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 1);
    return out;
}

// The MPEG layer III frames making up `b` exactly: their lengths, from the spec's header fields.
// Empty if `b` does not start on a frame or ends inside one.
inline std::vector<size_t> frame_lengths(const bytes& b) {
    static const int v1[] = {0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320};
    static const int v2[] = {0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160};
    static const int rates[3][3] = {{44100, 48000, 32000}, {22050, 24000, 16000}, {11025, 12000, 8000}};
    std::vector<size_t> out;
    size_t pos = 0;
    while (pos < b.size()) {
        if (b.size() - pos < 4 || b[pos] != 0xFF || (b[pos + 1] & 0xE6) != 0xE2) return {};
        const int version = (b[pos + 1] >> 3) & 3;  // 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5
        const int br = b[pos + 2] >> 4, sr = (b[pos + 2] >> 2) & 3;
        if (version == 1 || br == 0 || br == 15 || sr == 3) return {};
        const int rate = rates[version == 3 ? 0 : version == 2 ? 1 : 2][sr];
        const size_t len =
            static_cast<size_t>((version == 3 ? 144 : 72) * (version == 3 ? v1 : v2)[br] * 1000 / rate) +
            ((b[pos + 2] >> 1) & 1);
        if (pos + len > b.size()) return {};
        out.push_back(len);
        pos += len;
    }
    return out;
}

inline size_t id3_size(const bytes& b) {
    REQUIRE(b.size() >= 10);
    REQUIRE(std::string(b.begin(), b.begin() + 3) == "ID3");
    return 10 + (size_t{b[6]} << 21 | size_t{b[7]} << 14 | size_t{b[8]} << 7 | b[9]);
}

inline bool contains(const bytes& b, const std::string& s) {
    return std::search(b.begin(), b.end(), s.begin(), s.end()) != b.end();
}

}  // namespace timeside::test
