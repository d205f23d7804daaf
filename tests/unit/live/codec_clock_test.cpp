// Each codec's formula for where a listener's decoded audio starts, on bitstreams built by hand
// (frame headers, page granules, frame numbers); the figures themselves were measured with ffmpeg
// on what listeners receive (tests/integration/test_live_sync.py, docs/events.md).
#include "server/live/codec_clock.hpp"

#include <catch2/catch.hpp>
#include <vector>

#include "server/live/output_sink.hpp"

using namespace timeside::server::live;

namespace {
// `count` MPEG-1 layer III frames of 128 kbit/s at 44.1 kHz (417 bytes) or 48 kHz (384 bytes).
std::vector<unsigned char> mp3_frames(int count, bool khz48 = false) {
    const size_t length = khz48 ? 384 : 417;
    std::vector<unsigned char> out;
    for (int i = 0; i < count; ++i) {
        std::vector<unsigned char> f(length, 0);
        f[0] = 0xFF, f[1] = 0xFB, f[2] = khz48 ? 0x94 : 0x90, f[3] = 0x64;
        out.insert(out.end(), f.begin(), f.end());
    }
    return out;
}

std::vector<unsigned char> ogg_page(int64_t granule) {
    std::vector<unsigned char> p(27 + 10, 0);
    p[0] = 'O', p[1] = 'g', p[2] = 'g', p[3] = 'S';
    for (int i = 0; i < 8; ++i)
        p[6 + static_cast<size_t>(i)] = static_cast<unsigned char>(static_cast<uint64_t>(granule) >> (8 * i));
    return p;
}

// An Ogg page of `packets` (each under 255 bytes, or exactly 255 for one left open at the end);
// `continued`: its first packet began on the previous page.
std::vector<unsigned char> vorbis_page(int64_t granule,
                                       const std::vector<std::vector<unsigned char>>& packets,
                                       bool continued = false, bool last_open = false) {
    std::vector<unsigned char> p = ogg_page(granule);
    p.resize(27);
    p[5] = continued ? 1 : 0;
    p[26] = static_cast<unsigned char>(packets.size());
    for (size_t i = 0; i < packets.size(); ++i)
        p.push_back(
            static_cast<unsigned char>(last_open && i + 1 == packets.size() ? 255 : packets[i].size()));
    for (const auto& k : packets) p.insert(p.end(), k.begin(), k.end());
    return p;
}

// An audio packet: bit 0 clear (audio), bit 1 the mode (libvorbis: 0 short, 1 long blocks).
std::vector<unsigned char> audio_packet(int mode, size_t size = 10) {
    std::vector<unsigned char> k(size, 0xAA);
    k[0] = static_cast<unsigned char>(mode << 1);
    return k;
}

// A FLAC frame header, fixed 4096-sample blocks (size code 12) at 44.1 kHz, mono 16-bit; the
// frame number UTF-8-coded as FLAC codes it.
std::vector<unsigned char> flac_frame(std::vector<unsigned char> number, bool variable = false) {
    std::vector<unsigned char> f;
    f.reserve(4 + number.size() + 21);
    f.assign({0xFF, static_cast<unsigned char>(variable ? 0xF9 : 0xF8), 0xC9, 0x08});
    f.insert(f.end(), number.begin(), number.end());
    f.push_back(0x00);  // CRC-8 (not checked)
    f.resize(f.size() + 20, 0);
    return f;
}
}  // namespace

TEST_CASE("mp3: a listener's audio starts at its first frame's samples less LAME's 1105", "[live][sync]") {
    codec_clock c("mp3", 44100);
    CHECK(c.next(std::vector<unsigned char>(10, 0), true) == -1);  // a header: no audio
    CHECK(c.next(mp3_frames(3), false) == -1105);                  // the stream's first frame
    CHECK(c.next(mp3_frames(2), false) == 3 * 1152 - 1105);
    CHECK(c.next(mp3_frames(1), false) == 5 * 1152 - 1105);
    CHECK(c.next(std::vector<unsigned char>(8, 0x55), false) == -1);  // not a frame: unknown
    SECTION("resampled by LAME to 48 kHz: samples counted at 48 kHz, returned in the mount's frames") {
        codec_clock r("mp3", 44100);
        r.next(mp3_frames(100, true), false);
        CHECK(r.next(mp3_frames(1, true), false) ==
              104825);  // (100 * 1152 - 1105) * 44100 / 48000 = 104824.78
    }
}

TEST_CASE("opus: the previous page's granule, in 48 kHz samples, pre-skip and decoder skip cancelling",
          "[live][sync]") {
    codec_clock c("opus", 44100);
    CHECK(c.next(ogg_page(0), true) == -1);  // OpusHead
    CHECK(c.next(ogg_page(0), true) == -1);  // OpusTags
    CHECK(c.next(ogg_page(312 + 960), false) == 0);
    CHECK(c.next(ogg_page(312 + 9600), false) == 1169);  // (312 + 960) * 44100 / 48000 = 1168.65
    CHECK(c.next(ogg_page(-1), false) == 9107);  // a page no packet ends on: 9912 * 44100 / 48000 again
    CHECK(c.next(ogg_page(48000 * 10), false) == 9107);
    CHECK(c.next(ogg_page(48000 * 11), false) == 441000);
}

TEST_CASE("vorbis: the end of the first packet starting on the page, from the packets' block sizes",
          "[live][sync]") {
    codec_clock c("ogg", 44100);
    // The identification header: short blocks 2^8, long 2^11.
    std::vector<unsigned char> ident{0x01, 'v', 'o', 'r', 'b', 'i', 's'};
    ident.resize(28, 0);
    ident.push_back(0xB8);
    ident.push_back(0x01);
    CHECK(c.next(vorbis_page(0, {ident}), true) == -1);
    CHECK(c.next(ogg_page(0), true) == -1);
    CHECK(c.next(ogg_page(0), true) == -1);
    c.next(vorbis_page(3072, {audio_packet(1), audio_packet(1), audio_packet(1)}), false);
    // Short after long: (2048 + 256) / 4 = 576 after the previous page's 3072; a long packet
    // after it, and a short one left open at the page's end.
    CHECK(c.next(vorbis_page(4224, {audio_packet(0), audio_packet(1), audio_packet(0, 255)}, false, true),
                 false) == 3648);
    // The page finishes the short packet (576 after 4224), then a long one starts: 576 more.
    CHECK(c.next(vorbis_page(5376, {std::vector<unsigned char>(10, 0), audio_packet(1)}, true), false) ==
          5376);
    // Long after long: 1024.
    CHECK(c.next(vorbis_page(7424, {audio_packet(1), audio_packet(1)}), false) == 6400);
    SECTION("headers after audio (a chained stream, its granules from 0 again): unknown from then on") {
        CHECK(c.next(ogg_page(0), true) == -1);
        CHECK(c.next(vorbis_page(1024, {audio_packet(1)}), false) == -1);
    }
}

TEST_CASE("flac: the frame number times the block size, no delay", "[live][sync]") {
    codec_clock c("flac", 44100);
    CHECK(c.next(std::vector<unsigned char>{'f', 'L', 'a', 'C'}, true) == -1);
    CHECK(c.next(flac_frame({0x00}), false) == 0);
    CHECK(c.next(flac_frame({0x05}), false) == 5 * 4096);
    CHECK(c.next(flac_frame({0xC3, 0x88}), false) == 200 * 4096);         // 200: two bytes
    CHECK(c.next(flac_frame({0xE1, 0x80, 0x80}), false) == 4096 * 4096);  // 4096: three bytes
    CHECK(c.next(flac_frame({0xC3, 0x88}, true), false) == 200);          // variable: a sample number
    CHECK(c.next(flac_frame({0xC3, 0x08}), false) == -1);                 // a broken continuation byte
}

TEST_CASE("output_sink stamps sync chunks with their audio frame, only with a mount rate", "[live][sync]") {
    struct target : chunk_target {
        std::vector<chunk_ptr> got;
        void publish(chunk_ptr c) override { got.push_back(std::move(c)); }
    };
    auto t = std::make_shared<target>();
    output_sink timed(t, "mp3", 44100);
    timed.write(mp3_frames(2), false);
    timed.write(mp3_frames(1), false);
    output_sink untimed(t, "mp3");
    untimed.write(mp3_frames(1), false);
    REQUIRE(t->got.size() == 3);
    CHECK(t->got[0]->audio_frame == -1105);
    CHECK(t->got[1]->audio_frame == 2 * 1152 - 1105);
    CHECK(t->got[2]->audio_frame == -1);
}
