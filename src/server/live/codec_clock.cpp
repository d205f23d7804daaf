// Each formula is the one docs/events.md gives per codec, with the figures measured by
// tests/integration/test_live_sync.py (a click's decoded sample against its onset event's frame).
#include "server/live/codec_clock.hpp"

#include <cstring>

#include "encoders/mp3_frames.hpp"

namespace timeside::server::live {

namespace {

int64_t le64(const unsigned char* p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
    return static_cast<int64_t>(v);
}
}  // namespace

codec_clock::codec_clock(std::string format, int mount_rate)
    : format_(std::move(format)), mount_rate_(mount_rate) {}

int64_t codec_clock::to_stream(int64_t codec_samples, int codec_rate) const {
    if (codec_rate <= 0 || mount_rate_ <= 0) return -1;
    const int64_t scaled = codec_samples * mount_rate_;
    // Rounded to the nearest frame, negative values included (the first frames of a stream).
    return scaled >= 0 ? (scaled + codec_rate / 2) / codec_rate : -((-scaled + codec_rate / 2) / codec_rate);
}

int64_t codec_clock::next(std::span<const unsigned char> bytes, bool header) {
    if (format_ == "mp3") return header ? -1 : mp3(bytes);
    if (format_ == "ogg" || format_ == "opus") return ogg(bytes, header);
    if (format_ == "flac") return header ? -1 : flac(bytes);
    return -1;
}

// The encoder hands over whole frames: this chunk's first frame is the one after those counted.
// A decoder starting there outputs the full stream's sample mp3_samples_ first, and the full
// stream is the input delayed by LAME's encoder delay plus the decoder's (no gapless tag live).
int64_t codec_clock::mp3(std::span<const unsigned char> bytes) {
    const auto first = parse_mp3_frame_header(bytes);
    if (!first) return -1;
    const int64_t start = to_stream(mp3_samples_ - lame_total_delay, first->samplerate);
    size_t at = 0;
    while (at < bytes.size()) {
        const auto h = parse_mp3_frame_header(bytes.subspan(at));
        if (!h || h->length == 0) break;
        mp3_samples_ += h->samples;
        at += h->length;
    }
    return start;
}

// One Ogg page per chunk. The previous page's granule position is where the audio of this
// page's first packet starts (in codec samples from the stream's start).
int64_t codec_clock::ogg(std::span<const unsigned char> bytes, bool header) {
    if (bytes.size() < 27 || std::memcmp(bytes.data(), "OggS", 4) != 0) return -1;
    const int64_t granule = le64(bytes.data() + 6);
    int64_t start = -1;
    if (header) {
        // Headers after audio start a new logical stream whose granules start over at a stream
        // frame the pages do not say: unknown from then on (the listener falls back on the stamps).
        if (audio_seen_) granule_ = -1;
        // Vorbis' identification header: "\x01vorbis", then the block sizes' exponents at byte 28.
        const size_t data = 27 + static_cast<size_t>(bytes[26]);
        if (format_ == "ogg" && bytes.size() > data + 28 &&
            std::memcmp(bytes.data() + data, "\x01vorbis", 7) == 0) {
            blocksize_[0] = int64_t{1} << (bytes[data + 28] & 0x0F);
            blocksize_[1] = int64_t{1} << (bytes[data + 28] >> 4);
        }
    } else if (granule_ < 0) {
        return -1;
    } else if (format_ == "opus") {
        // Granules include the pre-skip (312 at 48 kHz: the encoder's look-ahead), and a decoder
        // given the OpusHead drops that many samples from whatever it decodes first: the two
        // cancel, the first sample kept is the previous granule's input sample.
        start = to_stream(granule_, opus_rate);
    } else {
        start = vorbis(bytes);
    }
    if (!header) audio_seen_ = true;
    if (granule >= 0 && granule_ >= 0) granule_ = granule;
    return start;
}

// A Vorbis decoder returns nothing for the first packet it reads (it overlaps with the previous
// one): its first sample is the end of the first packet that starts on the page. A packet ends
// (prev + its own block size) / 4 samples after the one before: each packet's block flag is the
// mode number in its first byte (bit 0: 0 for audio; bit 1: the mode, of libvorbis' two modes,
// 0 short and 1 long). Pages with a packet continued from the previous one count it first.
int64_t codec_clock::vorbis(std::span<const unsigned char> page) {
    const size_t segments = page[26];
    if (page.size() < 27 + segments) return -1;
    const bool continued = page[5] & 1;
    int64_t at = granule_;  // the end of the last packet completed before this page
    int64_t start = -1;
    int previous = last_flag_;
    int completed = 0;
    size_t offset = 27 + segments;  // the packet data
    size_t packet_start = offset;
    bool in_continued = continued;
    for (size_t i = 0; i < segments; ++i) {
        const unsigned lace = page[27 + i];
        offset += lace;
        if (lace == 255) continue;  // the packet goes on
        int flag = open_flag_;
        if (!in_continued) {
            if (packet_start >= page.size()) return -1;
            flag = (page[packet_start] >> 1) & 1;
        }
        at += (blocksize_[previous] + blocksize_[flag]) / 4;
        previous = flag;
        ++completed;
        // The decoder's first packet is the first that starts here: its end is where output begins.
        if (start < 0 && !in_continued) start = at;
        in_continued = false;
        packet_start = offset;
    }
    if (packet_start < page.size() && segments > 0 && page[27 + segments - 1] == 255)
        open_flag_ = in_continued ? open_flag_ : (page[packet_start] >> 1) & 1;  // a packet left open
    last_flag_ = previous;
    return start < 0 ? -1 : to_stream(start, mount_rate_);  // Vorbis codes at the mount's rate
}

// A FLAC frame header carries its position: the frame number (fixed block size, what libFLAC
// writes) times the block size, or the sample number. FLAC adds no delay.
int64_t codec_clock::flac(std::span<const unsigned char> bytes) const {
    if (bytes.size() < 6 || bytes[0] != 0xFF || (bytes[1] & 0xFE) != 0xF8) return -1;
    const bool variable = bytes[1] & 1;
    const int size_code = bytes[2] >> 4;
    // The UTF-8-like coded number from byte 4.
    size_t at = 4;
    int extra = 0;
    uint64_t number = bytes[at];
    if (number >= 0x80) {
        int mask = 0x40;
        while (number & mask) {
            ++extra;
            mask >>= 1;
        }
        if (extra == 0 || extra > 6) return -1;
        number &= static_cast<uint64_t>(mask - 1);
    }
    if (bytes.size() < at + 1 + static_cast<size_t>(extra) + 2) return -1;
    for (int i = 1; i <= extra; ++i) {
        if ((bytes[at + static_cast<size_t>(i)] & 0xC0) != 0x80) return -1;
        number = (number << 6) | (bytes[at + static_cast<size_t>(i)] & 0x3F);
    }
    at += 1 + static_cast<size_t>(extra);
    if (variable) return to_stream(static_cast<int64_t>(number), mount_rate_);
    int64_t block = 0;
    if (size_code == 1)
        block = 192;
    else if (size_code >= 2 && size_code <= 5)
        block = 576LL << (size_code - 2);
    else if (size_code == 6)
        block = bytes[at] + 1;
    else if (size_code == 7)
        block = ((bytes[at] << 8) | bytes[at + 1]) + 1;
    else if (size_code >= 8)
        block = 256LL << (size_code - 8);
    if (block == 0) return -1;
    return to_stream(static_cast<int64_t>(number) * block, mount_rate_);
}

}  // namespace timeside::server::live
