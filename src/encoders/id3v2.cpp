// ID3v2.4 text frames (id3v2.4.0-structure, id3v2.4.0-frames). v2.4 sizes are "synchsafe": 7 bits
// per byte, so no size byte can look like an MPEG sync; text needs no unsynchronisation.
#include "encoders/id3v2.hpp"

#include <cstdint>

#include "core/errors.hpp"

namespace timeside {

namespace {

void synchsafe(std::vector<unsigned char>& out, size_t v) {
    if (v >= (size_t{1} << 28)) throw usage_error("mp3_encoder: a tag of 256 MiB or more cannot be written");
    for (int shift = 21; shift >= 0; shift -= 7)
        out.push_back(static_cast<unsigned char>((v >> shift) & 0x7F));
}

}  // namespace

std::vector<unsigned char> id3v2_4_tag(std::span<const id3_text_frame> frames) {
    std::vector<unsigned char> body;
    for (const auto& f : frames) {
        if (f.text.empty() || f.id.size() != 4) continue;
        body.insert(body.end(), f.id.begin(), f.id.end());
        synchsafe(body, 1 + f.text.size());
        body.push_back(0);  // flags
        body.push_back(0);
        body.push_back(3);  // text encoding: UTF-8
        body.insert(body.end(), f.text.begin(), f.text.end());
    }
    std::vector<unsigned char> tag = {'I', 'D', '3', 4, 0, 0};  // version 2.4.0, no flags
    synchsafe(tag, body.size());
    tag.insert(tag.end(), body.begin(), body.end());
    return tag;
}

}  // namespace timeside
