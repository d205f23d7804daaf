// A small RFC 3629 decoder: sequence lengths from the lead byte, continuation bytes checked, and
// the first byte's range narrowed where overlongs, surrogates or code points past U+10FFFF hide.
#include "core/utf8.hpp"

#include <fmt/format.h>

namespace timeside {

namespace {

// The length of the valid sequence starting at text[i], or 0 if it is not one.
size_t sequence_length(std::string_view text, size_t i) {
    const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char c = byte(i);
    if (c < 0x80) return 1;
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xbf;  // the allowed range of the second byte
    if (c >= 0xc2 && c <= 0xdf) len = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0) lo = 0xa0;       // overlong
        else if (c == 0xed) hi = 0x9f;  // UTF-16 surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0) lo = 0x90;       // overlong
        else if (c == 0xf4) hi = 0x8f;  // past U+10FFFF
    } else {
        return 0;  // a continuation byte, an overlong lead (0xc0, 0xc1) or 0xf5..0xff
    }
    if (i + len > text.size()) return 0;
    if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
    for (size_t k = 2; k < len; ++k)
        if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) return 0;
    return len;
}

}  // namespace

size_t utf8_invalid_at(std::string_view text) {
    for (size_t i = 0; i < text.size();) {
        const size_t len = sequence_length(text, i);
        if (len == 0) return i;
        i += len;
    }
    return std::string_view::npos;
}

std::string to_valid_utf8(std::string_view text) {
    if (is_valid_utf8(text)) return std::string(text);
    std::string out;
    out.reserve(text.size() + 8);
    for (size_t i = 0; i < text.size();) {
        const size_t len = sequence_length(text, i);
        if (len == 0) {
            out += "\xef\xbf\xbd";  // U+FFFD REPLACEMENT CHARACTER
            ++i;
        } else {
            out.append(text.substr(i, len));
            i += len;
        }
    }
    return out;
}

std::string describe_invalid_utf8(std::string_view text) {
    const size_t at = utf8_invalid_at(text);
    if (at == std::string_view::npos) return "valid UTF-8";
    return fmt::format("byte 0x{:02x} at offset {} is not valid UTF-8", static_cast<unsigned char>(text[at]), at);
}

}  // namespace timeside
