// The LAME tag's delay and padding, read from an Info frame built here byte by byte as LAME and
// ffmpeg write it; frames without one (or with an encoder string we do not trust) give nothing.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "decoders/mp3_gapless.hpp"

using namespace timeside;

namespace {

// An MPEG-1 layer III frame at 128 kbit/s, 44.1 kHz (417 bytes), stereo or mono, holding an Info
// tag with the given frame count and a LAME extension (encoder string, delay, padding).
std::vector<unsigned char> info_frame(bool mono, uint32_t frames, const char* encoder, int delay, int padding,
                                      uint32_t flags = 0x0f) {
    std::vector<unsigned char> f(417, 0);
    f[0] = 0xff;
    f[1] = 0xfb;  // MPEG-1, layer III, no CRC
    f[2] = 0x90;  // 128 kbit/s, 44.1 kHz, no padding
    f[3] = mono ? 0xc4 : 0x44;
    size_t at = 4 + (mono ? 17 : 32);
    std::memcpy(&f[at], "Info", 4);
    f[at + 7] = static_cast<unsigned char>(flags);
    at += 8;
    if (flags & 1) {
        f[at] = frames >> 24;
        f[at + 1] = (frames >> 16) & 0xff;
        f[at + 2] = (frames >> 8) & 0xff;
        f[at + 3] = frames & 0xff;
        at += 4;
    }
    if (flags & 2) at += 4;
    if (flags & 4) at += 100;
    if (flags & 8) at += 4;
    std::memcpy(&f[at], encoder, std::min<size_t>(9, std::strlen(encoder)));
    f[at + 21] = static_cast<unsigned char>(delay >> 4);
    f[at + 22] = static_cast<unsigned char>(((delay & 0x0f) << 4) | (padding >> 8));
    f[at + 23] = static_cast<unsigned char>(padding & 0xff);
    return f;
}

}  // namespace

TEST_CASE("an Info frame's LAME extension gives the lead and the real length", "[decoders][mp3]") {
    for (bool mono : {false, true}) {
        for (const char* encoder : {"LAME3.100", "Lavc59.37", "Lavf58.76"}) {
            auto g = parse_mp3_gapless(info_frame(mono, 126, encoder, 576, 1234));
            REQUIRE(g);
            CHECK(g->samplerate == 44100);
            CHECK(g->lead == 576 + 529);
            CHECK(g->frames == 126 * 1152 - 576 - 1234);
            CHECK(g->gstreamer_trims == (std::string(encoder).rfind("LAME", 0) == 0));
        }
    }
}

TEST_CASE("no gapless information without a frame count or a known encoder string", "[decoders][mp3]") {
    CHECK_FALSE(parse_mp3_gapless(info_frame(false, 126, "LAME3.100", 576, 576, 0x0e)));  // no frame count
    CHECK_FALSE(parse_mp3_gapless(info_frame(false, 126, "GOGO", 576, 576)));             // unknown encoder
    CHECK_FALSE(parse_mp3_gapless(info_frame(false, 1, "LAME3.100", 2000, 2000)));        // more padding than audio
    auto plain = info_frame(false, 126, "LAME3.100", 576, 576);
    std::memcpy(&plain[36], "Abcd", 4);  // an ordinary audio frame
    CHECK_FALSE(parse_mp3_gapless(plain));
    CHECK_FALSE(parse_mp3_gapless(std::vector<unsigned char>(10, 0)));
}
