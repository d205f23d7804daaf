// hls_id3: ID3v2.4 (id3.org's id3v2.4.0-structure, -frames) as HLS packed audio wants it.
#include "server/hls/hls_id3.hpp"

#include <stdexcept>

namespace timeside::server::hls {

void put_syncsafe(std::vector<unsigned char>& out, uint32_t value) {
    if (value >= (1u << 28)) throw std::length_error("an ID3 size over 256 MiB");
    for (int shift = 21; shift >= 0; shift -= 7) out.push_back(static_cast<unsigned char>((value >> shift) & 0x7F));
}

namespace {

void put_frame(std::vector<unsigned char>& out, std::string_view id, const std::vector<unsigned char>& data) {
    out.insert(out.end(), id.begin(), id.end());
    put_syncsafe(out, static_cast<uint32_t>(data.size()));
    out.push_back(0);  // flags: none
    out.push_back(0);
    out.insert(out.end(), data.begin(), data.end());
}

}  // namespace

std::vector<unsigned char> hls_id3_tag(int64_t pts_90khz, const std::vector<id3_text_frame>& texts) {
    std::vector<unsigned char> frames;
    std::vector<unsigned char> data(hls_timestamp_owner.begin(), hls_timestamp_owner.end());
    data.push_back(0);
    // An MPEG-2 TS timestamp: 33 bits, in an 8-byte big-endian field.
    const uint64_t pts = static_cast<uint64_t>(pts_90khz) & ((uint64_t{1} << 33) - 1);
    for (int shift = 56; shift >= 0; shift -= 8) data.push_back(static_cast<unsigned char>(pts >> shift));
    put_frame(frames, "PRIV", data);
    for (const auto& t : texts) {
        data.assign(1, 3);  // text encoding 3: UTF-8
        if (t.id == "TXXX") {
            data.insert(data.end(), t.description.begin(), t.description.end());
            data.push_back(0);
        }
        data.insert(data.end(), t.value.begin(), t.value.end());
        put_frame(frames, t.id, data);
    }
    std::vector<unsigned char> tag{'I', 'D', '3', 4, 0, 0};
    put_syncsafe(tag, static_cast<uint32_t>(frames.size()));
    tag.insert(tag.end(), frames.begin(), frames.end());
    return tag;
}

}  // namespace timeside::server::hls
