// wav_encoder: float blocks to little-endian PCM. Integers are rounded to nearest and clipped to
// the full range (1.0 -> 32767 for s16), the inverse of the x / 2^(bits-1) GStreamer decodes with,
// so a signal already on the 16-bit grid comes back bit-exact.
#include "encoders/wav_encoder.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "core/errors.hpp"

namespace timeside {

namespace {

constexpr uint32_t streaming_size = 0xFFFFFFFF;  // "unknown": what a live WAV stream carries

int bytes_per_sample(wav_encoder::sample_format f) {
    return f == wav_encoder::sample_format::s16 ? 2 : f == wav_encoder::sample_format::s24 ? 3 : 4;
}

// The usual speaker masks (WAVEFORMATEXTENSIBLE) for 1 to 8 channels; beyond, none is assigned.
uint32_t channel_mask(int channels) {
    static const uint32_t masks[] = {0, 0x4, 0x3, 0x7, 0x33, 0x37, 0x3F, 0x70F, 0x63F};
    return channels <= 8 ? masks[channels] : 0;
}

struct le_writer {
    std::vector<unsigned char>& out;
    void tag(const char* four) { out.insert(out.end(), four, four + 4); }
    void u16(uint32_t v) {
        out.push_back(static_cast<unsigned char>(v));
        out.push_back(static_cast<unsigned char>(v >> 8));
    }
    void u32(uint32_t v) {
        u16(v & 0xFFFF);
        u16(v >> 16);
    }
};

// NaN becomes silence rather than a full-scale click.
inline float clip(float v, float lo, float hi) {
    return v != v ? 0.0f : std::min(std::max(v, lo), hi);
}

}  // namespace

const processor_info& wav_encoder::describe() {
    static const processor_info info{
        "wav_encoder",
        "WAV encoder",
        "1.0",
        "RIFF WAVE, PCM 16/24/32-bit integer or IEEE float 32",
        "",
        processor_kind::encoder,
        {choice_param("format", "sample format: s16, s24, s32 (integer PCM) or f32 (IEEE float)", "s16",
                      {"s16", "s24", "s32", "f32"})}};
    return info;
}

wav_encoder::wav_encoder(parameter_set params) : encoder(describe(), std::move(params)) {
    const auto& f = parameters().string("format");
    format_ = f == "s24"   ? sample_format::s24
              : f == "s32" ? sample_format::s32
              : f == "f32" ? sample_format::f32
                           : sample_format::s16;
}

std::vector<unsigned char> wav_encoder::header(sample_format f, int samplerate, int channels,
                                               int64_t frames) {
    const bool is_float = f == sample_format::f32;
    const uint32_t bytes = static_cast<uint32_t>(bytes_per_sample(f));
    const uint32_t block_align = bytes * static_cast<uint32_t>(channels);
    // The spec asks for the extensible form beyond two channels or 16 bits; for float, only
    // beyond two channels (format 3 is the established form for mono and stereo).
    const bool extensible = channels > 2 || (!is_float && bytes > 2);
    const uint32_t fmt_size = extensible ? 40 : is_float ? 18 : 16;
    const bool has_fact = is_float;  // every non-PCM format carries one
    const uint64_t header_size = 12 + 8 + fmt_size + (has_fact ? 12 : 0) + 8;

    uint32_t riff = streaming_size, data = streaming_size, fact = streaming_size;
    if (frames >= 0) {
        const uint64_t data_bytes = static_cast<uint64_t>(frames) * block_align;
        // RIFF pads an odd-sized chunk (24-bit, odd channels and frames) with a zero byte. Like
        // libsndfile, we leave the pad out when the data chunk ends the file: GStreamer 1.22's
        // wavparse reads nothing at all from a file that ends on one; readers accept its absence.
        const uint64_t riff_bytes = header_size - 8 + data_bytes;
        if (riff_bytes <= streaming_size) {
            riff = static_cast<uint32_t>(riff_bytes);
            data = static_cast<uint32_t>(data_bytes);
        }
        if (static_cast<uint64_t>(frames) <= streaming_size) fact = static_cast<uint32_t>(frames);
    }

    std::vector<unsigned char> out;
    out.reserve(header_size);
    le_writer w{out};
    w.tag("RIFF");
    w.u32(riff);
    w.tag("WAVE");
    w.tag("fmt ");
    w.u32(fmt_size);
    w.u16(extensible ? 0xFFFE : is_float ? 3 : 1);
    w.u16(static_cast<uint32_t>(channels));
    w.u32(static_cast<uint32_t>(samplerate));
    w.u32(static_cast<uint32_t>(samplerate) * block_align);
    w.u16(block_align);
    w.u16(bytes * 8);
    if (extensible) {
        w.u16(22);
        w.u16(bytes * 8);  // valid bits: all of them
        w.u32(channel_mask(channels));
        // KSDATAFORMAT_SUBTYPE_PCM / _IEEE_FLOAT: {0000000X-0000-0010-8000-00AA00389B71}
        static const unsigned char guid_tail[] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80,
                                                  0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};
        w.u16(is_float ? 3 : 1);
        out.insert(out.end(), std::begin(guid_tail), std::end(guid_tail));
    } else if (is_float) {
        w.u16(0);  // cbSize
    }
    if (has_fact) {
        w.tag("fact");
        w.u32(4);
        w.u32(fact);
    }
    w.tag("data");
    w.u32(data);
    return out;
}

void wav_encoder::on_setup(const stream_info& in) {
    samplerate_ = in.format.samplerate;
    channels_ = in.format.channels;
    if (samplerate_ < 1)
        throw usage_error(fmt::format("wav_encoder: cannot encode a sample rate of {} Hz", samplerate_));
    if (channels_ < 1 || channels_ * bytes_per_sample(format_) > 0xFFFF)
        throw usage_error(fmt::format("wav_encoder: cannot encode {} channels in format={}", channels_,
                                      parameters().string("format")));
    // A zero-byte rewrite asks the sink whether it can patch the header at all.
    can_rewrite_ = sink().rewrite(0, {});
    declared_frames_ = in.total_frames;
    frames_ = 0;
    sink().write(header(format_, samplerate_, channels_, declared_frames_), true);
}

void wav_encoder::on_process(const block_ptr& b) {
    if (b->channels() != channels_)
        throw processing_error(fmt::format("wav_encoder: block of {} channels in a {}-channel stream",
                                           b->channels(), channels_));
    int64_t n = b->frames();
    // A header that cannot be patched must stay true: past the length it declared, data would
    // read as a corrupt chunk, so the excess (an estimate that fell short) is dropped.
    if (!can_rewrite_ && declared_frames_ >= 0) n = std::min(n, declared_frames_ - frames_);
    if (n > 0) write_frames(b->samples().data(), n);
}

void wav_encoder::write_frames(const float* in, int64_t frames) {
    const size_t count = static_cast<size_t>(frames) * static_cast<size_t>(channels_);
    frames_ += frames;
    if (format_ == sample_format::f32 && std::endian::native == std::endian::little) {
        // Already the file's representation: no copy.
        sink().write({reinterpret_cast<const unsigned char*>(in), count * sizeof(float)}, false);
        return;
    }
    buffer_.resize(count * static_cast<size_t>(bytes_per_sample(format_)));
    unsigned char* out = buffer_.data();
    switch (format_) {
        case sample_format::s16:
            for (size_t i = 0; i < count; ++i, out += 2) {
                auto v = static_cast<uint16_t>(std::lrint(clip(in[i] * 32768.0f, -32768.0f, 32767.0f)));
                out[0] = static_cast<unsigned char>(v);
                out[1] = static_cast<unsigned char>(v >> 8);
            }
            break;
        case sample_format::s24:
            for (size_t i = 0; i < count; ++i, out += 3) {
                auto v = static_cast<uint32_t>(std::lrint(clip(in[i] * 8388608.0f, -8388608.0f, 8388607.0f)));
                out[0] = static_cast<unsigned char>(v);
                out[1] = static_cast<unsigned char>(v >> 8);
                out[2] = static_cast<unsigned char>(v >> 16);
            }
            break;
        case sample_format::s32:
            // In double: 2^31 - 1 has no float representation.
            for (size_t i = 0; i < count; ++i, out += 4) {
                double x = static_cast<double>(in[i]) * 2147483648.0;
                x = x != x ? 0.0 : std::min(std::max(x, -2147483648.0), 2147483647.0);
                auto v = static_cast<uint32_t>(std::llrint(x));
                out[0] = static_cast<unsigned char>(v);
                out[1] = static_cast<unsigned char>(v >> 8);
                out[2] = static_cast<unsigned char>(v >> 16);
                out[3] = static_cast<unsigned char>(v >> 24);
            }
            break;
        case sample_format::f32:  // big-endian host
            for (size_t i = 0; i < count; ++i, out += 4) {
                uint32_t v;
                std::memcpy(&v, &in[i], 4);
                out[0] = static_cast<unsigned char>(v);
                out[1] = static_cast<unsigned char>(v >> 8);
                out[2] = static_cast<unsigned char>(v >> 16);
                out[3] = static_cast<unsigned char>(v >> 24);
            }
            break;
    }
    sink().write(buffer_, false);
}

void wav_encoder::on_finish() {
    // Fewer frames than an unpatchable header declared: silence keeps the file what it says.
    if (!can_rewrite_ && declared_frames_ > frames_) {
        std::vector<float> silence(static_cast<size_t>(std::min<int64_t>(declared_frames_ - frames_, 8192)) *
                                   static_cast<size_t>(channels_));
        while (frames_ < declared_frames_) {
            int64_t n = std::min<int64_t>(declared_frames_ - frames_,
                                          static_cast<int64_t>(silence.size()) / channels_);
            write_frames(silence.data(), n);
        }
    }
    if (frames_ != declared_frames_ && can_rewrite_)
        sink().rewrite(0, header(format_, samplerate_, channels_, frames_));
    buffer_ = {};
}

}  // namespace timeside
