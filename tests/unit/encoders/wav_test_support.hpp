// Helpers for the WAV encoder tests: a RIFF/WAVE header parser written from the spec (independent
// of the encoder's own writer), deterministic noise on a given bit grid, and encoding shortcuts.
#pragma once

#include <catch2/catch.hpp>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/pipe.hpp"
#include "core/registry.hpp"
#include "decoders/array_decoder.hpp"
#include "encoder_test_support.hpp"
#include "encoders/wav_encoder.hpp"

namespace timeside::test {

struct wav_header {
    uint32_t riff_size = 0;
    unsigned format_tag = 0, channels = 0, block_align = 0, bits = 0;
    uint32_t samplerate = 0, byte_rate = 0;
    unsigned cb_size = 0, valid_bits = 0, subformat = 0;
    uint32_t mask = 0;
    bool guid_ok = false, has_fact = false;
    uint32_t fact = 0;
    size_t data_offset = 0;
    uint32_t data_size = 0;
};

inline wav_header parse_wav(const bytes& b) {
    REQUIRE(b.size() >= 12);
    REQUIRE(std::memcmp(b.data(), "RIFF", 4) == 0);
    REQUIRE(std::memcmp(b.data() + 8, "WAVE", 4) == 0);
    wav_header h;
    h.riff_size = static_cast<uint32_t>(read_le(&b[4], 4));
    size_t pos = 12;
    while (pos + 8 <= b.size()) {
        const unsigned char* c = &b[pos];
        const auto size = static_cast<uint32_t>(read_le(c + 4, 4));
        if (std::memcmp(c, "fmt ", 4) == 0) {
            h.format_tag = static_cast<unsigned>(read_le(c + 8, 2));
            h.channels = static_cast<unsigned>(read_le(c + 10, 2));
            h.samplerate = static_cast<uint32_t>(read_le(c + 12, 4));
            h.byte_rate = static_cast<uint32_t>(read_le(c + 16, 4));
            h.block_align = static_cast<unsigned>(read_le(c + 20, 2));
            h.bits = static_cast<unsigned>(read_le(c + 22, 2));
            if (size >= 18) h.cb_size = static_cast<unsigned>(read_le(c + 24, 2));
            if (size >= 40) {
                h.valid_bits = static_cast<unsigned>(read_le(c + 26, 2));
                h.mask = static_cast<uint32_t>(read_le(c + 28, 4));
                h.subformat = static_cast<unsigned>(read_le(c + 32, 2));
                static const unsigned char tail[] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80,
                                                     0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};
                h.guid_ok = std::memcmp(c + 34, tail, sizeof tail) == 0;
            }
        } else if (std::memcmp(c, "fact", 4) == 0) {
            h.has_fact = true;
            h.fact = static_cast<uint32_t>(read_le(c + 8, 4));
        } else if (std::memcmp(c, "data", 4) == 0) {
            h.data_offset = pos + 8;
            h.data_size = size;
            return h;
        }
        pos += 8 + size + (size & 1);
    }
    FAIL("no data chunk");
    return h;
}

inline std::shared_ptr<wav_encoder> make_wav(const std::string& format) {
    return std::dynamic_pointer_cast<wav_encoder>(
        default_registry().make("wav_encoder", {{"format", format}}));
}

inline void run_into(std::shared_ptr<decoder> src, std::shared_ptr<encoder> enc) {
    timeside::pipe p(std::move(src));
    p.add(std::move(enc));
    p.run();
}

inline bytes wav_to_memory(const std::string& format, std::vector<float> samples, int rate, int channels) {
    auto sink = std::make_shared<memory_sink>();
    auto enc = make_wav(format);
    enc->set_sink(sink);
    run_into(array_decoder::from_samples(std::move(samples), rate, channels), enc);
    return sink->data();
}

// Deterministic noise on a grid of `bits` bits (0: any float), full range, extremes included.
inline std::vector<float> noise(size_t n, int bits) {
    std::vector<float> out(n);
    uint32_t state = 12345;
    for (size_t i = 0; i < n; ++i) {
        state = state * 1664525u + 1013904223u;
        if (bits == 0) {
            out[i] = static_cast<float>(static_cast<int32_t>(state)) / 2147483648.0f;
        } else {
            int32_t v = static_cast<int32_t>(state) >> (32 - bits);
            out[i] = static_cast<float>(v) / static_cast<float>(int64_t{1} << (bits - 1));
        }
    }
    const float lo = -1.0f, hi = bits ? 1.0f - 1.0f / static_cast<float>(int64_t{1} << (bits - 1)) : 0.9999f;
    if (n >= 2) {
        out[0] = lo;
        out[1] = hi;
    }
    return out;
}

inline int sample_bytes(const std::string& f) {
    return f == "s16" ? 2 : f == "s24" ? 3 : 4;
}

inline int64_t data_int(const bytes& b, size_t offset, int width) {
    auto u = read_le(&b[offset], width);
    const int shift = 64 - 8 * width;
    return static_cast<int64_t>(u << shift) >> shift;
}

}  // namespace timeside::test
