// Helpers for the opus_encoder tests: OpusHead and OpusTags parsed from the spec (RFC 7845),
// independent of our encoder's own writer, and ffprobe run through popen (ffmpeg_decode: encoder_test_support).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "encoder_test_support.hpp"

namespace timeside::test {

struct opus_head {
    int version = 0;
    int channels = 0;
    int pre_skip = 0;
    uint32_t input_rate = 0;
    int16_t gain = 0;
    int family = 0;
};

inline opus_head parse_opus_head(const bytes& p) {
    if (p.size() < 19 || std::memcmp(p.data(), "OpusHead", 8) != 0)
        throw std::runtime_error("not an OpusHead packet");
    opus_head h;
    h.version = p[8];
    h.channels = p[9];
    h.pre_skip = static_cast<int>(read_le(&p[10], 2));
    h.input_rate = static_cast<uint32_t>(read_le(&p[12], 4));
    h.gain = static_cast<int16_t>(read_le(&p[16], 2));
    h.family = p[18];
    return h;
}

// One stream field as ffprobe reports it ("codec_name", "sample_rate", "channels"...).
inline std::string ffprobe_field(const std::filesystem::path& path, const std::string& field) {
    auto out = run_command("ffprobe -v error -select_streams a:0 -show_entries stream=" + field +
                              " -of default=noprint_wrappers=1:nokey=1 '" + path.string() + "'");
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
}

}  // namespace timeside::test
