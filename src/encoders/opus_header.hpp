// opus_header: the two packets every Ogg Opus stream opens with (RFC 7845 §5): OpusHead (channel
// count, pre-skip, the input's rate, the channel mapping) and OpusTags (vendor and comments).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace timeside {

struct opus_head_fields {
    int channels = 0;
    int pre_skip = 0;         // 48 kHz samples a decoder drops from the start (the encoder's lookahead)
    uint32_t input_rate = 0;  // the rate the audio had before it was resampled to 48 kHz
    int family = 0;           // channel mapping family: 0 (mono, stereo) or 1 (Vorbis surround order)
    int streams = 1;          // family 1 only: Opus streams, how many of them coupled (stereo),
    int coupled = 0;          // and for each output channel, the decoded channel it takes
    std::vector<unsigned char> mapping;
};

std::vector<unsigned char> opus_head_packet(const opus_head_fields& head);

// `comments` are "FIELD=value" strings, written in order.
std::vector<unsigned char> opus_tags_packet(std::string_view vendor,
                                            const std::vector<std::string>& comments);

}  // namespace timeside
