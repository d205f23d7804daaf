// The Xing/Info + LAME tag frame (see mp3_info_frame.hpp). Layout after the side information, as
// LAME 3.100 writes it and FFmpeg's mp3dec and GStreamer's mpegaudioparse read it: "Info" (CBR) or
// "Xing", flags, frames, bytes, a 100-entry seek table, a quality word; then the 36-byte LAME tag
// (encoder, method, lowpass, ReplayGain, flags, bitrate, delay and padding in 12 bits each, misc,
// gain, preset, music length, music CRC, and the tag's own CRC over every byte before it).
#include "encoders/mp3_info_frame.hpp"

#include <algorithm>
#include <cstring>

#include "core/errors.hpp"

namespace timeside {

namespace {

constexpr size_t xing_bytes = 120;  // tag, flags, frames, bytes, TOC, quality
constexpr size_t lame_bytes = 36;
constexpr size_t max_offsets = 1024;

// Layer III bitrates by index 1..14 (as mp3_frames.cpp: the header's index selects them).
constexpr int mpeg1_kbps[] = {32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320};
constexpr int mpeg2_kbps[] = {8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160};

void put_be(unsigned char* p, uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i, v >>= 8) p[i] = static_cast<unsigned char>(v & 0xff);
}

}  // namespace

uint16_t lame_crc16(std::span<const unsigned char> bytes, uint16_t crc) {
    for (unsigned char b : bytes) {
        crc ^= b;
        for (int i = 0; i < 8; ++i) crc = (crc & 1) ? static_cast<uint16_t>((crc >> 1) ^ 0xA001) : crc >> 1;
    }
    return crc;
}

mp3_info_frame::mp3_info_frame(std::span<const unsigned char> first) {
    const auto h = parse_mp3_frame_header(first);
    if (!h) throw processing_error("mp3_encoder: LAME's first frame has no MPEG layer III header");
    const bool mono = h->channels == 1;
    const size_t side_info = h->version == 1 ? (mono ? 17 : 32) : (mono ? 9 : 17);
    xing_offset_ = 4 + side_info;
    const size_t needed = xing_offset_ + xing_bytes + lame_bytes;
    const int* table = h->version == 1 ? mpeg1_kbps : mpeg2_kbps;
    int index = 0;
    for (int i = 1; i <= 14; ++i) {
        const size_t length = static_cast<size_t>(h->samples / 8 * table[i - 1] * 1000 / h->samplerate);
        if (length >= needed) {
            index = i;
            size_ = length;
            break;
        }
    }
    if (index == 0) throw processing_error("mp3_encoder: no layer III frame of this rate holds a LAME tag");
    // The audio frame's header with the tag frame's bitrate, no padding, no CRC, no mode extension.
    header_[0] = 0xFF;
    header_[1] = static_cast<unsigned char>(first[1] | 0x01);
    header_[2] = static_cast<unsigned char>((index << 4) | (first[2] & 0x0C));
    header_[3] = static_cast<unsigned char>(first[3] & 0xC0);
}

void mp3_info_frame::add_audio_frame(std::span<const unsigned char> frame) {
    if (frames_ % step_ == 0) {
        if (offsets_.size() == max_offsets) {
            // Keep every other offset: the table now samples every 2 * step_ frames.
            for (size_t i = 0; i < max_offsets / 2; ++i) offsets_[i] = offsets_[2 * i];
            offsets_.resize(max_offsets / 2);
            step_ *= 2;
        }
        if (frames_ % step_ == 0) offsets_.push_back(size_ + audio_bytes_);
    }
    ++frames_;
    audio_bytes_ += frame.size();
    music_crc_ = lame_crc16(frame, music_crc_);
}

std::vector<unsigned char> mp3_info_frame::placeholder(const mp3_tag_fields& fields) const {
    mp3_tag_fields f = fields;
    f.encoder_delay = f.padding = 0;
    return build(f, false);
}

std::vector<unsigned char> mp3_info_frame::final_frame(const mp3_tag_fields& fields) const { return build(fields, true); }

std::vector<unsigned char> mp3_info_frame::build(const mp3_tag_fields& f, bool final) const {
    std::vector<unsigned char> out(size_, 0);
    std::memcpy(out.data(), header_, 4);
    unsigned char* x = out.data() + xing_offset_;
    std::memcpy(x, f.vbr ? "Xing" : "Info", 4);
    const uint64_t total = final ? size_ + audio_bytes_ : 0;
    put_be(x + 4, final ? 0x0F : 0, 4);  // frames, bytes, TOC and quality present once known
    put_be(x + 8, final ? frames_ : 0, 4);
    put_be(x + 12, std::min<uint64_t>(total, UINT32_MAX), 4);
    // Seek table: for each percent of the duration, the position as a 256th of the file.
    for (int i = 0; i < 100; ++i) {
        uint64_t at = 0;
        if (frames_ > 0 && !offsets_.empty()) {
            const uint64_t frame = static_cast<uint64_t>(frames_) * static_cast<uint64_t>(i) / 100;
            at = offsets_[std::min<size_t>(offsets_.size() - 1, static_cast<size_t>(frame / step_))];
        }
        x[16 + i] = static_cast<unsigned char>(std::min<uint64_t>(255, at * 256 / std::max<uint64_t>(1, total)));
    }
    put_be(x + 116, 0, 4);

    unsigned char* l = x + xing_bytes;
    std::string name = f.encoder.substr(0, 9);
    name.resize(9, ' ');
    std::memcpy(l, name.data(), 9);
    l[9] = static_cast<unsigned char>(f.vbr ? 4 : 1);  // revision 0; method: CBR 1, VBR (mtrh) 4
    l[10] = static_cast<unsigned char>(std::clamp(f.lowpass_hz / 100, 0, 255));
    // Peak, ReplayGain (radio, audiophile), encoding flags and ATH: 0, not computed.
    l[20] = static_cast<unsigned char>(std::clamp(f.bitrate_kbps, 0, 255));
    const int delay = std::clamp(f.encoder_delay, 0, 4095), padding = std::clamp(f.padding, 0, 4095);
    l[21] = static_cast<unsigned char>(delay >> 4);
    l[22] = static_cast<unsigned char>(((delay & 0x0F) << 4) | (padding >> 8));
    l[23] = static_cast<unsigned char>(padding & 0xFF);
    const int source = f.source_rate <= 32000 ? 0 : f.source_rate <= 44100 ? 1 : f.source_rate <= 48000 ? 2 : 3;
    l[24] = static_cast<unsigned char>(source << 6);
    put_be(l + 28, std::min<uint64_t>(total, UINT32_MAX), 4);
    put_be(l + 32, music_crc_, 2);
    const size_t covered = static_cast<size_t>(l + 34 - out.data());
    put_be(l + 34, lame_crc16({out.data(), covered}), 2);
    return out;
}

}  // namespace timeside
