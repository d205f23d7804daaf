// hls_id3: the ID3v2.4 tag that opens each HLS packed-audio segment (RFC 8216 §3.4): the PRIV
// frame com.apple.streaming.transportStreamTimestamp with the 33-bit 90 kHz timestamp of the
// segment's first sample, then the segment's timed metadata as text frames (TIT2, TXXX).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace timeside::server::hls {

inline constexpr std::string_view hls_timestamp_owner = "com.apple.streaming.transportStreamTimestamp";

struct id3_text_frame {
    std::string id;           // "TIT2", "TXXX"
    std::string description;  // TXXX only
    std::string value;        // UTF-8
};

// The whole tag: header, PRIV timestamp (pts_90khz taken modulo 2^33), then `texts` in order.
std::vector<unsigned char> hls_id3_tag(int64_t pts_90khz, const std::vector<id3_text_frame>& texts);

// ID3v2.4 sizes are "syncsafe": 7 bits per byte, so no size byte looks like an MPEG sync.
void put_syncsafe(std::vector<unsigned char>& out, uint32_t value);

}  // namespace timeside::server::hls
