// Vorbis comments: little-endian 32-bit lengths, a vendor string, a count, the fields.
#include "server/live/xiph_comments.hpp"

#include <cctype>
#include <cstdint>
#include <cstring>

namespace timeside::server::live {

namespace {
std::string_view magic(xiph_codec codec) {
    return codec == xiph_codec::vorbis ? std::string_view("\x03vorbis", 7) : std::string_view("OpusTags", 8);
}

void put_u32(std::vector<unsigned char>& out, uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<unsigned char>(v >> (8 * i)));
}

void put_string(std::vector<unsigned char>& out, const std::string& s) {
    put_u32(out, static_cast<uint32_t>(s.size()));
    out.insert(out.end(), s.begin(), s.end());
}

bool same_key(const std::string& field, const std::string& key) {
    if (field.size() <= key.size() || field[key.size()] != '=') return false;
    for (size_t i = 0; i < key.size(); ++i)
        if (std::toupper(static_cast<unsigned char>(field[i])) != std::toupper(static_cast<unsigned char>(key[i])))
            return false;
    return true;
}
}  // namespace

std::optional<xiph_comments> parse_comment_packet(xiph_codec codec, std::span<const unsigned char> packet) {
    const auto m = magic(codec);
    if (packet.size() < m.size() || std::memcmp(packet.data(), m.data(), m.size()) != 0) return std::nullopt;
    size_t pos = m.size();
    auto u32 = [&](uint32_t& v) {
        if (packet.size() - pos < 4) return false;
        v = 0;
        for (int i = 3; i >= 0; --i) v = (v << 8) | packet[pos + static_cast<size_t>(i)];
        pos += 4;
        return true;
    };
    auto str = [&](std::string& s) {
        uint32_t n = 0;
        if (!u32(n) || packet.size() - pos < n) return false;
        s.assign(reinterpret_cast<const char*>(packet.data() + pos), n);
        pos += n;
        return true;
    };
    xiph_comments c;
    uint32_t count = 0;
    if (!str(c.vendor) || !u32(count)) return std::nullopt;
    // Each field takes at least its 4-byte length: a count beyond that is a damaged packet.
    if (count > (packet.size() - pos) / 4) return std::nullopt;
    c.fields.resize(count);
    for (auto& f : c.fields)
        if (!str(f)) return std::nullopt;
    return c;
}

std::vector<unsigned char> comment_packet(xiph_codec codec, const xiph_comments& c) {
    const auto m = magic(codec);
    std::vector<unsigned char> out(m.begin(), m.end());
    put_string(out, c.vendor);
    put_u32(out, static_cast<uint32_t>(c.fields.size()));
    for (const auto& f : c.fields) put_string(out, f);
    if (codec == xiph_codec::vorbis) out.push_back(1);  // the framing bit
    return out;
}

void set_comment(xiph_comments& c, const std::string& key, const std::string& value) {
    std::erase_if(c.fields, [&](const std::string& f) { return same_key(f, key); });
    if (!value.empty()) c.fields.push_back(key + "=" + value);
}

}  // namespace timeside::server::live
