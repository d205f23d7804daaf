// codec_clock: for each chunk an output's encoder hands over, the stream frame at which the audio
// begins that a decoder starting at that chunk gives first, read from the bitstream itself (MP3
// frames counted, Ogg granule positions, FLAC frame numbers) and corrected for what the codec adds
// or drops before its first sample. A listener's `start_frame` (docs/events.md, "Synchronization").
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace timeside::server::live {

// Codec delays, in the codec's own samples (each measured: docs/events.md).
inline constexpr int64_t lame_total_delay = 1105;  // LAME's encoder delay (576) + the decoder's (529)
inline constexpr int64_t opus_rate = 48000;        // Opus granules count 48 kHz samples

class codec_clock {
public:
    // `format`: mp3, ogg (Vorbis), opus, flac; `mount_rate`: the stream's frames per second.
    codec_clock(std::string format, int mount_rate);

    // The chunks of one output, in order. For a chunk a decoder can start at (sync), the stream
    // frame of the first sample it decodes from there; -1 for headers and other chunks, or when
    // the bytes say nothing (the caller then falls back on the chunk stamps).
    int64_t next(std::span<const unsigned char> bytes, bool header);

private:
    int64_t mp3(std::span<const unsigned char> bytes);
    int64_t ogg(std::span<const unsigned char> bytes, bool header);
    int64_t flac(std::span<const unsigned char> bytes) const;
    int64_t vorbis(std::span<const unsigned char> page);  // reads the page's packets' block sizes
    int64_t to_stream(int64_t codec_samples, int codec_rate) const;

    std::string format_;
    int mount_rate_;
    int64_t mp3_samples_ = 0;  // codec samples in the MP3 frames before this chunk
    int64_t granule_ = 0;      // the granule position of the last Ogg page that had one; -1: unknown
    bool audio_seen_ = false;
    // Vorbis: the short and long block sizes (identification header), the block flag of the last
    // packet completed, and of a packet the previous page left unfinished.
    int64_t blocksize_[2] = {256, 2048};
    int last_flag_ = 1, open_flag_ = 1;
};

}  // namespace timeside::server::live
