// A small ID3v2.4 writer: text frames (TIT2, TPE1, TALB, TSSE...) in UTF-8, the tag MP3 files
// open with. Written here because LAME's id3tag API writes ID3v2.3, where text is Latin-1 or
// UTF-16; v2.4 is the version that carries UTF-8 as is.
#pragma once

#include <span>
#include <string>
#include <vector>

namespace timeside {

struct id3_text_frame {
    std::string id;    // four characters: "TIT2"
    std::string text;  // UTF-8
};

// A whole tag: header, then one frame per entry (empty texts are left out), no padding.
std::vector<unsigned char> id3v2_4_tag(std::span<const id3_text_frame> frames);

}  // namespace timeside
