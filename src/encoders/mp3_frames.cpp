// MPEG audio layer III frame headers and the whole-frame carry buffer (see mp3_frames.hpp).
// Header layout: 11 sync bits, version (2), layer (2), no-CRC (1), bitrate index (4), rate index
// (2), padding (1), private (1), channel mode (2), then bits no length depends on.
#include "encoders/mp3_frames.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "core/errors.hpp"

namespace timeside {

namespace {

// Layer III bitrates by index 1..14; index 0 is free format, 15 is forbidden.
constexpr int mpeg1_bitrates[] = {32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320};
constexpr int mpeg2_bitrates[] = {8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160};

// Sample rates by rate index 0..2, for each version.
constexpr int mpeg1_rates[] = {44100, 48000, 32000};
constexpr int mpeg2_rates[] = {22050, 24000, 16000};
constexpr int mpeg25_rates[] = {11025, 12000, 8000};

}  // namespace

std::optional<mp3_frame_header> parse_mp3_frame_header(std::span<const unsigned char> b) {
    if (b.size() < 4 || b[0] != 0xFF || (b[1] & 0xE0) != 0xE0) return std::nullopt;
    const int version_bits = (b[1] >> 3) & 3;  // 0: 2.5, 1: reserved, 2: 2, 3: 1
    const int layer_bits = (b[1] >> 1) & 3;    // 1: layer III
    const int bitrate_index = b[2] >> 4;
    const int rate_index = (b[2] >> 2) & 3;
    if (version_bits == 1 || layer_bits != 1 || bitrate_index == 0 || bitrate_index == 15 || rate_index == 3)
        return std::nullopt;
    mp3_frame_header h;
    h.version = version_bits == 3 ? 1 : version_bits == 2 ? 2 : 25;
    const int* rates = h.version == 1 ? mpeg1_rates : h.version == 2 ? mpeg2_rates : mpeg25_rates;
    h.samplerate = rates[rate_index];
    h.bitrate_kbps = (h.version == 1 ? mpeg1_bitrates : mpeg2_bitrates)[bitrate_index - 1];
    h.padding = (b[2] >> 1) & 1;
    h.channels = (b[3] >> 6) == 3 ? 1 : 2;
    h.samples = h.version == 1 ? 1152 : 576;
    // Bytes per frame: samples / 8 bits * bitrate / rate, plus one padding byte.
    h.length =
        static_cast<size_t>(h.samples / 8 * h.bitrate_kbps * 1000 / h.samplerate) + (h.padding ? 1 : 0);
    return h;
}

int mpeg_version(int samplerate) {
    auto in = [samplerate](const int(&rates)[3]) {
        return std::find(std::begin(rates), std::end(rates), samplerate) != std::end(rates);
    };
    return in(mpeg1_rates) ? 1 : in(mpeg2_rates) ? 2 : in(mpeg25_rates) ? 25 : 0;
}

const char* mpeg_version_name(int version) {
    return version == 1 ? "MPEG-1" : version == 2 ? "MPEG-2" : version == 25 ? "MPEG-2.5" : "no MPEG version";
}

std::span<const int> layer3_bitrates(int samplerate) {
    switch (mpeg_version(samplerate)) {
        case 1:
            return mpeg1_bitrates;
        case 2:
        case 25:
            return mpeg2_bitrates;
        default:
            return {};
    }
}

unsigned char* mp3_framer::prepare(size_t n) {
    if (buffer_.size() < size_ + n) buffer_.resize(size_ + n);
    return buffer_.data() + size_;
}

void mp3_framer::commit(size_t k) {
    size_ = std::min(size_ + k, buffer_.size());
}

size_t mp3_framer::whole_frames(size_t max_frames) const {
    size_t pos = 0;
    for (size_t frames = 0; frames < max_frames && size_ - pos >= 4; ++frames) {
        auto h = parse_mp3_frame_header({buffer_.data() + pos, size_ - pos});
        if (!h)
            throw processing_error(fmt::format(
                "mp3_encoder: LAME's output has no MPEG layer III frame header where one should start "
                "(bytes {:02x} {:02x} {:02x} {:02x})",
                buffer_[pos], buffer_[pos + 1], buffer_[pos + 2], buffer_[pos + 3]));
        if (size_ - pos < h->length) break;
        pos += h->length;
    }
    return pos;
}

void mp3_framer::consume(size_t n) {
    n = std::min(n, size_);
    // What remains is less than a frame: the move is cheap.
    std::memmove(buffer_.data(), buffer_.data() + n, size_ - n);
    size_ -= n;
}

}  // namespace timeside
