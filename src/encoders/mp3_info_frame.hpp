// The Xing/Info frame with the LAME tag that opens an MP3 file: frame count, byte count, seek table,
// encoder delay and padding, so FFmpeg, GStreamer and players give back the exact length. Written
// by us rather than by LAME, which drops its own tag whenever the stream's bitrate makes a frame
// too small to hold it (CBR below 64 kbit/s at 44.1 and 48 kHz): the tag frame takes the smallest
// bitrate of the stream's MPEG version that holds it, as FFmpeg's muxer does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "encoders/mp3_frames.hpp"

namespace timeside {

// What the tag says besides the counts it gathers itself.
struct mp3_tag_fields {
    std::string encoder = "LAME";  // 9 bytes at most: "LAME3.100"
    bool vbr = false;
    int bitrate_kbps = 0;   // CBR: the bitrate; VBR: 0
    int lowpass_hz = 0;
    int encoder_delay = 0;  // samples LAME put before the audio
    int padding = 0;        // samples after it, to the end of the last frame
    int source_rate = 0;    // the input's rate (the misc byte's source frequency)
};

class mp3_info_frame {
public:
    // Sized and shaped for the stream whose first audio frame is `first` (its header bytes).
    explicit mp3_info_frame(std::span<const unsigned char> first);

    size_t size() const { return size_; }
    // The frame as it is written before the counts are known: the same size, no counts (the
    // flags say none is there), delay and padding 0.
    std::vector<unsigned char> placeholder(const mp3_tag_fields& fields) const;
    // One audio frame written after the tag frame.
    void add_audio_frame(std::span<const unsigned char> frame);
    // The final frame, with the counts of every audio frame added.
    std::vector<unsigned char> final_frame(const mp3_tag_fields& fields) const;

    uint32_t audio_frames() const { return frames_; }

private:
    std::vector<unsigned char> build(const mp3_tag_fields& fields, bool final) const;
    unsigned char header_[4] = {};
    size_t size_ = 0;
    size_t xing_offset_ = 0;  // after the header and the side information
    uint32_t frames_ = 0;
    uint64_t audio_bytes_ = 0;
    uint16_t music_crc_ = 0;
    // Byte offsets (from the tag frame's start) of every step_-th audio frame, for the seek
    // table: halved whenever it grows past its bound, so memory stays flat for any length.
    std::vector<uint64_t> offsets_;
    uint32_t step_ = 1;
};

// CRC-16 as LAME's tag uses it (polynomial 0x8005, reflected, initial value `crc`).
uint16_t lame_crc16(std::span<const unsigned char> bytes, uint16_t crc = 0);

}  // namespace timeside
