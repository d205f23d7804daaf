// audiowaveform's .dat and .json encodings. Bytes are laid out explicitly little-endian, so the
// output does not depend on the host's byte order.
#include "graphers/waveform_data_writer.hpp"

#include <charconv>
#include <stdexcept>
#include <cstring>
#include <string_view>

namespace timeside {

namespace {

constexpr uint32_t flag_8_bit = 1u;

void check_bits(int bits) {
    if (bits != 8 && bits != 16) throw std::invalid_argument("waveform data: bits must be 8 or 16");
}

void put_u32(std::vector<unsigned char>& out, uint32_t v) {
    for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<unsigned char>(v >> shift));
}

void put_i32(std::vector<unsigned char>& out, int32_t v) {
    put_u32(out, static_cast<uint32_t>(v));
}

// Appends with resize and memcpy: vector::insert of a char range trips a false
// -Wstringop-overflow in GCC 12.
void put_chars(std::vector<unsigned char>& out, const char* text, size_t n) {
    const size_t at = out.size();
    out.resize(at + n);
    std::memcpy(out.data() + at, text, n);
}

void put_text(std::vector<unsigned char>& out, std::string_view text) {
    put_chars(out, text.data(), text.size());
}

void put_number(std::vector<unsigned char>& out, int64_t v) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    (void)ec;  // 24 characters hold any int64
    put_chars(out, buf, static_cast<size_t>(end - buf));
}

}  // namespace

std::vector<unsigned char> encode_dat(const waveform_points& points, int bits) {
    check_bits(bits);
    const int32_t version = points.channels == 1 ? 1 : 2;
    const size_t bytes_per_value = bits == 8 ? 1 : 2;
    std::vector<unsigned char> out;
    out.reserve((version == 1 ? 20 : 24) + points.data.size() * bytes_per_value);
    put_i32(out, version);
    put_u32(out, bits == 8 ? flag_8_bit : 0u);
    put_i32(out, points.sample_rate);
    put_i32(out, points.samples_per_pixel);
    put_u32(out, points.length());
    if (version == 2) put_i32(out, points.channels);
    for (int16_t v : points.data) {
        const auto u = static_cast<uint16_t>(at_resolution(v, bits));
        out.push_back(static_cast<unsigned char>(u & 0xff));
        if (bits == 16) out.push_back(static_cast<unsigned char>(u >> 8));
    }
    return out;
}

std::vector<unsigned char> encode_json(const waveform_points& points, int bits) {
    check_bits(bits);
    std::vector<unsigned char> out;
    // At most "-32768," (or "-128,") per value: one allocation, never a regrowth.
    out.reserve(128 + points.data.size() * (bits == 8 ? 5 : 7));
    put_text(out, "{\"version\":2,\"channels\":");
    put_number(out, points.channels);
    put_text(out, ",\"sample_rate\":");
    put_number(out, points.sample_rate);
    put_text(out, ",\"samples_per_pixel\":");
    put_number(out, points.samples_per_pixel);
    put_text(out, ",\"bits\":");
    put_number(out, bits);
    put_text(out, ",\"length\":");
    put_number(out, points.length());
    put_text(out, ",\"data\":[");
    for (size_t i = 0; i < points.data.size(); ++i) {
        if (i > 0) out.push_back(',');
        put_number(out, at_resolution(points.data[i], bits));
    }
    put_text(out, "]}\n");
    return out;
}

}  // namespace timeside
