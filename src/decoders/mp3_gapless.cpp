// The Xing/Info frame's layout (as LAME writes it, and ffmpeg's libmp3lame wrapper too): after the
// frame header and side info, "Xing" or "Info", flags, then frames, bytes, TOC and quality as the
// flags say, then the LAME extension: a 9-byte encoder string, 12 bytes we skip, and 3 bytes of
// delay (12 bits) and padding (12 bits). Accepted encoder strings are ffmpeg's: LAME, Lavf, Lavc.
#include "decoders/mp3_gapless.hpp"

#include <cstring>
#include <fstream>
#include <vector>

#include "encoders/mp3_frames.hpp"

namespace timeside {

namespace {

uint32_t be32(const unsigned char* p) {
    return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 | static_cast<uint32_t>(p[2]) << 8 | p[3];
}

// Bytes from the start of the file to the first frame: an ID3v2 tag's length (with its footer).
size_t id3v2_length(std::span<const unsigned char> head) {
    if (head.size() < 10 || std::memcmp(head.data(), "ID3", 3) != 0) return 0;
    const unsigned char* s = head.data() + 6;
    if ((s[0] | s[1] | s[2] | s[3]) & 0x80) return 0;  // not syncsafe: not a tag
    const size_t size = static_cast<size_t>(s[0]) << 21 | static_cast<size_t>(s[1]) << 14 | static_cast<size_t>(s[2]) << 7 | s[3];
    return 10 + size + ((head[5] & 0x10) ? 10 : 0);
}

}  // namespace

std::optional<mp3_gapless> parse_mp3_gapless(std::span<const unsigned char> frame) {
    auto header = parse_mp3_frame_header(frame);
    if (!header || frame.size() < header->length) return std::nullopt;
    const bool mono = header->channels == 1;
    // Side information length: where the Xing/Info marker sits after the 4-byte header.
    const size_t side = header->version == 1 ? (mono ? 17 : 32) : (mono ? 9 : 17);
    size_t at = 4 + side;
    const unsigned char* p = frame.data();
    const size_t end = header->length;
    if (at + 8 > end || (std::memcmp(p + at, "Xing", 4) != 0 && std::memcmp(p + at, "Info", 4) != 0))
        return std::nullopt;
    const uint32_t flags = be32(p + at + 4);
    at += 8;
    if (!(flags & 1)) return std::nullopt;  // no frame count: the length is unknown
    const uint32_t frames = be32(p + at);
    at += 4;
    if (flags & 2) at += 4;    // bytes
    if (flags & 4) at += 100;  // TOC
    if (flags & 8) at += 4;    // quality
    if (at + 24 > end) return std::nullopt;
    const unsigned char* lame = p + at;
    if (std::memcmp(lame, "LAME", 4) != 0 && std::memcmp(lame, "Lavf", 4) != 0 && std::memcmp(lame, "Lavc", 4) != 0)
        return std::nullopt;
    const unsigned char* dp = lame + 21;
    const int64_t delay = (static_cast<int64_t>(dp[0]) << 4) | (dp[1] >> 4);
    const int64_t padding = (static_cast<int64_t>(dp[1] & 0x0f) << 8) | dp[2];
    const int64_t total = static_cast<int64_t>(frames) * header->samples;
    if (delay + padding > total) return std::nullopt;
    return mp3_gapless{header->samplerate, delay + mp3_decoder_delay, total - delay - padding,
                       std::memcmp(lame, "LAME", 4) == 0};
}

std::optional<mp3_gapless> read_mp3_gapless(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<unsigned char> head(10);
    if (!in.read(reinterpret_cast<char*>(head.data()), 10)) return std::nullopt;
    const size_t skip = id3v2_length(head);
    if (skip > (size_t{256} << 20)) return std::nullopt;  // ID3v2 sizes stop at 256 MiB
    // The first frame is at most 2881 bytes (MPEG-2.5 layer III at its largest is less).
    std::vector<unsigned char> frame(4096);
    in.clear();
    in.seekg(static_cast<std::streamoff>(skip));
    in.read(reinterpret_cast<char*>(frame.data()), static_cast<std::streamsize>(frame.size()));
    frame.resize(static_cast<size_t>(in.gcount()));
    return parse_mp3_gapless(frame);
}

}  // namespace timeside
