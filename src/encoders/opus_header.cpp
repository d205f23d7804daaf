// opus_header: little-endian fields laid out as RFC 7845 §5.1 and §5.2 give them.
#include "encoders/opus_header.hpp"

#include <stdexcept>

namespace timeside {

namespace {

void put_le(std::vector<unsigned char>& out, uint64_t value, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<unsigned char>(value >> (8 * i)));
}

void put_string(std::vector<unsigned char>& out, std::string_view s) {
    if (s.size() > UINT32_MAX) throw std::length_error("opus_header: a tag longer than 4 GiB");
    put_le(out, s.size(), 4);
    out.insert(out.end(), s.begin(), s.end());
}

}  // namespace

std::vector<unsigned char> opus_head_packet(const opus_head_fields& head) {
    std::vector<unsigned char> out{'O', 'p', 'u', 's', 'H', 'e', 'a', 'd', 1};  // version 1
    out.push_back(static_cast<unsigned char>(head.channels));
    put_le(out, static_cast<uint16_t>(head.pre_skip), 2);
    put_le(out, head.input_rate, 4);
    put_le(out, 0, 2);  // output gain: none
    out.push_back(static_cast<unsigned char>(head.family));
    if (head.family != 0) {
        if (head.mapping.size() != static_cast<size_t>(head.channels))
            throw std::invalid_argument("opus_header: the channel mapping must name every channel");
        out.push_back(static_cast<unsigned char>(head.streams));
        out.push_back(static_cast<unsigned char>(head.coupled));
        out.insert(out.end(), head.mapping.begin(), head.mapping.end());
    }
    return out;
}

std::vector<unsigned char> opus_tags_packet(std::string_view vendor,
                                            const std::vector<std::string>& comments) {
    std::vector<unsigned char> out{'O', 'p', 'u', 's', 'T', 'a', 'g', 's'};
    put_string(out, vendor);
    put_le(out, comments.size(), 4);
    for (const auto& c : comments) put_string(out, c);
    return out;
}

}  // namespace timeside
