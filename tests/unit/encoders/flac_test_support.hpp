// Helpers for the FLAC encoder tests: a STREAMINFO / metadata / frame-header parser written from
// the format's spec (independent of libFLAC), the MD5 FLAC defines, computed with OpenSSL, libFLAC's
// decoder checking it as `flac -t` does, and FFmpeg's decoder and prober run through popen.
#pragma once

#include <catch2/catch.hpp>

#include <FLAC/stream_decoder.h>
#include <openssl/evp.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "encoder_test_support.hpp"

namespace timeside::test {


inline uint64_t read_be(const unsigned char* p, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
    return v;
}

struct seek_point {
    uint64_t sample, offset;
    unsigned frame_samples;
};

struct flac_header {
    unsigned min_block = 0, max_block = 0, rate = 0, channels = 0, bits = 0;
    uint64_t total = 0;
    bytes md5;
    std::vector<int> types;  // metadata block types, in order
    std::vector<std::string> comments;
    std::vector<seek_point> seek;
    size_t padding = 0, audio_offset = 0;
};

inline flac_header parse_flac(const bytes& b) {
    REQUIRE(b.size() >= 8);
    REQUIRE(std::memcmp(b.data(), "fLaC", 4) == 0);
    flac_header h;
    size_t pos = 4;
    for (bool last = false; !last;) {
        REQUIRE(pos + 4 <= b.size());
        last = b[pos] & 0x80;
        const int type = b[pos] & 0x7f;
        const auto len = static_cast<size_t>(read_be(&b[pos + 1], 3));
        const unsigned char* d = &b[pos + 4];
        REQUIRE(pos + 4 + len <= b.size());
        h.types.push_back(type);
        if (type == 0) {
            REQUIRE(len == 34);
            h.min_block = static_cast<unsigned>(read_be(d, 2));
            h.max_block = static_cast<unsigned>(read_be(d + 2, 2));
            const uint64_t packed = read_be(d + 10, 8);  // rate 20, channels-1 3, bits-1 5, total 36
            h.rate = static_cast<unsigned>(packed >> 44);
            h.channels = static_cast<unsigned>((packed >> 41) & 7) + 1;
            h.bits = static_cast<unsigned>((packed >> 36) & 31) + 1;
            h.total = packed & ((uint64_t{1} << 36) - 1);
            h.md5.assign(d + 18, d + 34);
        } else if (type == 3) {
            for (size_t i = 0; i + 18 <= len; i += 18)
                h.seek.push_back({read_be(d + i, 8), read_be(d + i + 8, 8), static_cast<unsigned>(read_be(d + i + 16, 2))});
        } else if (type == 4) {
            size_t p = 4 + static_cast<size_t>(read_le(d, 4));  // past the vendor string
            const auto n = read_le(d + p, 4);
            p += 4;
            for (uint64_t i = 0; i < n; ++i) {
                const auto l = static_cast<size_t>(read_le(d + p, 4));
                h.comments.emplace_back(reinterpret_cast<const char*>(d + p + 4), l);
                p += 4 + l;
            }
        } else if (type == 1) {
            h.padding = len;
        }
        pos += 4 + len;
    }
    h.audio_offset = pos;
    return h;
}

// A frame header at `p` (fixed block size): checks the sync code and CRC-8, returns the frame number.
inline int64_t frame_number(const unsigned char* p, size_t size) {
    REQUIRE(size >= 6);
    REQUIRE(p[0] == 0xFF);
    REQUIRE(p[1] == 0xF8);
    size_t n = 4;
    int extra = 0;
    while (extra < 7 && (p[4] & (0x80 >> extra))) ++extra;
    int64_t number = extra == 0 ? p[4] : p[4] & (0x3F >> (extra - 1));
    for (int i = 1; i < extra; ++i) number = (number << 6) | (p[4 + i] & 0x3F);
    n += extra == 0 ? 1 : static_cast<size_t>(extra);
    const int bs = p[2] >> 4, sr = p[2] & 15;
    n += bs == 6 ? 1 : bs == 7 ? 2 : 0;
    n += sr == 12 ? 1 : sr == 13 || sr == 14 ? 2 : 0;
    REQUIRE(n < size);
    uint8_t crc = 0;  // polynomial x^8 + x^2 + x + 1, initial 0
    for (size_t i = 0; i < n; ++i) {
        crc ^= p[i];
        for (int k = 0; k < 8; ++k) crc = static_cast<uint8_t>(crc & 0x80 ? (crc << 1) ^ 0x07 : crc << 1);
    }
    CHECK(crc == p[n]);
    return number;
}

// The integers a grid signal stands for, and the MD5 of them as little-endian PCM (FLAC's rule).
inline std::vector<int32_t> to_ints(const std::vector<float>& s, int bits) {
    std::vector<int32_t> out(s.size());
    for (size_t i = 0; i < s.size(); ++i) out[i] = static_cast<int32_t>(std::lrint(s[i] * static_cast<double>(1 << (bits - 1))));
    return out;
}

inline bytes pcm_md5(const std::vector<int32_t>& pcm, int bits) {
    bytes le;
    for (int32_t v : pcm)
        for (int k = 0; k < bits / 8; ++k) le.push_back(static_cast<unsigned char>(static_cast<uint32_t>(v) >> (8 * k)));
    bytes md(16);
    unsigned len = 0;
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_md5(), nullptr);
    EVP_DigestUpdate(ctx, le.data(), le.size());
    EVP_DigestFinal_ex(ctx, md.data(), &len);
    EVP_MD_CTX_free(ctx);
    return md;
}

inline bool have(const char* tool) {
    static std::map<std::string, bool> known;
    if (!known.count(tool)) known[tool] = std::system((std::string(tool) + " -version >/dev/null 2>&1").c_str()) == 0;
    if (!known[tool]) WARN(tool << " not found: its checks are skipped");
    return known[tool];
}

// FFmpeg's own FLAC decoder: 16-bit streams as s16, 24-bit ones as s32 (value << 8).
inline std::vector<int32_t> ffmpeg_decode(const std::filesystem::path& path, int bits, const std::string& seek = {}) {
    const bool wide = bits > 16;
    auto raw = run_command("ffmpeg -v error " + (seek.empty() ? "" : "-ss " + seek + " ") + "-i " + path.string() +
                           (wide ? " -f s32le -" : " -f s16le -"));
    std::vector<int32_t> out;
    for (size_t i = 0; i + (wide ? 4 : 2) <= raw.size(); i += wide ? 4 : 2)
        out.push_back(wide ? static_cast<int32_t>(read_le(reinterpret_cast<const unsigned char*>(&raw[i]), 4)) >> 8
                           : static_cast<int16_t>(read_le(reinterpret_cast<const unsigned char*>(&raw[i]), 2)));
    return out;
}

inline std::map<std::string, std::string> ffprobe(const std::filesystem::path& path, const std::string& entries) {
    auto text = run_command("ffprobe -v error -show_entries " + entries + " -of default=nw=1 " + path.string());
    std::map<std::string, std::string> out;
    std::string s(text.begin(), text.end());
    for (size_t pos = 0, nl; (nl = s.find('\n', pos)) != std::string::npos; pos = nl + 1)
        if (auto eq = s.find('=', pos); eq < nl) out[s.substr(pos, eq - pos)] = s.substr(eq + 1, nl - eq - 1);
    return out;
}

// libFLAC's reference decoder with MD5 checking, as `flac -t` runs it: every frame decodes (CRCs
// included) and the samples match STREAMINFO's MD5 (which it skips when the MD5 is zero).
inline bool flac_test(const std::filesystem::path& path) {
    auto* d = FLAC__stream_decoder_new();
    REQUIRE(d);
    bool errors = false;
    FLAC__stream_decoder_set_md5_checking(d, true);
    auto write = [](const FLAC__StreamDecoder*, const FLAC__Frame*, const FLAC__int32* const[], void*) {
        return FLAC__STREAM_DECODER_WRITE_STATUS_CONTINUE;
    };
    auto error = [](const FLAC__StreamDecoder*, FLAC__StreamDecoderErrorStatus, void* flag) {
        *static_cast<bool*>(flag) = true;
    };
    bool ok = FLAC__stream_decoder_init_file(d, path.c_str(), write, nullptr, error, &errors) ==
                  FLAC__STREAM_DECODER_INIT_STATUS_OK &&
              FLAC__stream_decoder_process_until_end_of_stream(d);
    ok = FLAC__stream_decoder_finish(d) && ok && !errors;
    FLAC__stream_decoder_delete(d);
    return ok;
}

inline void write_bytes(const std::filesystem::path& path, const bytes& b) {
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

}  // namespace timeside::test
