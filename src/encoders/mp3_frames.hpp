// MPEG audio layer III framing: frame headers parsed from the spec (ISO 11172-3 / 13818-3 and the
// MPEG-2.5 extension), the bitrates each sample rate can carry, and mp3_framer, the carry buffer
// that lets mp3_encoder hand its sink only whole frames.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace timeside {

struct mp3_frame_header {
    int version = 1;       // 1: MPEG-1, 2: MPEG-2, 25: MPEG-2.5
    int bitrate_kbps = 0;  // never 0: free-format frames are not parsed
    int samplerate = 0;
    int channels = 0;
    bool padding = false;
    size_t length = 0;  // bytes, header included
    int samples = 0;    // per channel: 1152 (MPEG-1) or 576
};

// The layer III frame header at the start of `bytes` (4 bytes needed), or nothing.
std::optional<mp3_frame_header> parse_mp3_frame_header(std::span<const unsigned char> bytes);

// The MPEG version that codes `samplerate` (1, 2 or 25), 0 if none does.
int mpeg_version(int samplerate);
const char* mpeg_version_name(int version);  // "MPEG-1", "MPEG-2", "MPEG-2.5"
// The layer III bitrates (kbit/s) of the version coding `samplerate`; empty if none does.
std::span<const int> layer3_bitrates(int samplerate);

// An encoder's output as it comes (LAME's buffer can end inside a frame), released in whole
// frames. Append with prepare()/commit(); whole_frames() says how many bytes at the front are
// complete frames; consume() drops bytes once written.
class mp3_framer {
public:
    // Room for `n` more bytes at the end; commit(k) keeps k of them (k <= n).
    unsigned char* prepare(size_t n);
    void commit(size_t k);

    // Bytes at the front that form complete frames, at most `max_frames` of them. Throws
    // processing_error when a frame does not start where the previous one ended.
    size_t whole_frames(size_t max_frames = SIZE_MAX) const;
    std::span<const unsigned char> data() const { return {buffer_.data(), size_}; }
    void consume(size_t n);
    size_t size() const { return size_; }
    void clear() { size_ = 0; }

private:
    std::vector<unsigned char> buffer_;  // grows to the largest block's output, then is reused
    size_t size_ = 0;
};

}  // namespace timeside
