// wav_encoder: formats, layouts, samples and lengths, read back by the project's GStreamer
// file_decoder and by the RIFF parser in wav_test_support.hpp; rounding and clipping.
#include <catch2/catch.hpp>

#include <atomic>

#include "../test_support.hpp"
#include "core/errors.hpp"
#include "wav_test_support.hpp"

using namespace timeside;
using namespace timeside::test;

TEST_CASE("wav_encoder writes every format at the exact length, and GStreamer reads it back", "[encoders]") {
    const std::string format = GENERATE("s16", "s24", "s32", "f32");
    const int rate = GENERATE(8000, 44100, 48000, 96000);
    const int channels = GENERATE(1, 2);
    INFO(format << ", " << rate << " Hz, " << channels << " channel(s)");
    const int64_t frames = rate / 2 + 7;
    auto signal = sine(440, rate, frames, channels, 0.8);
    temp_dir dir;
    auto path = dir / "out.wav";
    auto enc = make_wav(format);
    enc->write_to(path);
    run_into(array_decoder::from_samples(signal, rate, channels), enc);

    auto file = read_bytes(path);
    auto h = parse_wav(file);
    CHECK(h.channels == static_cast<unsigned>(channels));
    CHECK(h.samplerate == static_cast<uint32_t>(rate));
    CHECK(h.block_align == static_cast<unsigned>(channels * sample_bytes(format)));
    CHECK(h.byte_rate == static_cast<uint32_t>(rate) * h.block_align);
    CHECK(h.data_size == frames * h.block_align);
    CHECK(h.riff_size == file.size() - 8);

    auto out = decode_file(path);
    CHECK(out.info.format.samplerate == rate);
    CHECK(out.info.format.channels == channels);
    CHECK(out.info.total_frames == frames);
    REQUIRE(out.frames() == frames);
    // Within half a step of the format's grid (the float input is exact in f32).
    const double step =
        format == "f32" ? 0.0 : 1.0 / static_cast<double>(int64_t{1} << (8 * sample_bytes(format) - 1));
    double worst = 0;
    for (size_t i = 0; i < signal.size(); ++i)
        worst = std::max(worst, std::fabs(static_cast<double>(out.samples[i]) - signal[i]));
    CHECK(worst <= step / 2 + 1e-9);
}

TEST_CASE("wav_encoder round-trips samples bit-exactly when the format holds them", "[encoders]") {
    struct input_case {
        std::string format;
        int grid_bits;  // 0: arbitrary floats
    };
    const auto c =
        GENERATE(input_case{"f32", 0}, input_case{"s16", 16}, input_case{"s24", 24}, input_case{"s32", 24});
    const int channels = GENERATE(1, 2);
    INFO(c.format << " with a " << c.grid_bits << "-bit input, " << channels << " channel(s)");
    auto signal = noise(static_cast<size_t>(48000 * channels), c.grid_bits);
    temp_dir dir;
    auto path = dir / "exact.wav";
    auto enc = make_wav(c.format);
    enc->write_to(path);
    run_into(array_decoder::from_samples(signal, 48000, channels, 1000), enc);
    auto out = decode_file(path);
    REQUIRE(out.samples.size() == signal.size());
    size_t differ = 0;
    for (size_t i = 0; i < signal.size(); ++i) differ += out.samples[i] != signal[i];
    CHECK(differ == 0);
}

TEST_CASE("wav_encoder rounds to nearest and clips to the full integer range", "[encoders]") {
    const float lsb16 = 1.0f / 32768;
    const std::vector<float> in = {1.0f,         -1.0f,        2.0f,          -3.0f,           0.0f,
                                   0.4f * lsb16, 0.6f * lsb16, -0.6f * lsb16, 1000.4f * lsb16, std::nanf("")};
    struct expect {
        std::string format;
        std::vector<int64_t> values;
    };
    const auto e =
        GENERATE(expect{"s16", {32767, -32768, 32767, -32768, 0, 0, 1, -1, 1000, 0}},
                 expect{"s24", {8388607, -8388608, 8388607, -8388608, 0, 102, 154, -154, 256102, 0}},
                 expect{"s32",
                        {2147483647, -2147483648LL, 2147483647, -2147483648LL, 0, 26214, 39322, -39322,
                         65562216, 0}});  // 1000.4f is 1000.4000244...
    INFO(e.format);
    auto data = wav_to_memory(e.format, in, 44100, 1);
    auto h = parse_wav(data);
    const int w = sample_bytes(e.format);
    REQUIRE(h.data_size == in.size() * static_cast<size_t>(w));
    for (size_t i = 0; i < in.size(); ++i) {
        INFO("sample " << i << " = " << in[i]);
        CHECK(data_int(data, h.data_offset + i * static_cast<size_t>(w), w) == e.values[i]);
    }
}

TEST_CASE("wav_encoder uses WAVE_FORMAT_EXTENSIBLE beyond two channels or 16 bits, float with a fact chunk",
          "[encoders]") {
    struct layout {
        std::string format;
        int channels;
        unsigned tag, subformat;
        uint32_t mask;
    };
    const auto l =
        GENERATE(layout{"s16", 1, 1, 0, 0}, layout{"s16", 2, 1, 0, 0}, layout{"s16", 3, 0xFFFE, 1, 0x7},
                 layout{"s24", 1, 0xFFFE, 1, 0x4}, layout{"s32", 2, 0xFFFE, 1, 0x3},
                 layout{"f32", 1, 3, 0, 0}, layout{"f32", 2, 3, 0, 0}, layout{"f32", 6, 0xFFFE, 3, 0x3F});
    INFO(l.format << ", " << l.channels << " channel(s)");
    const int64_t frames = 4801;
    auto signal = noise(static_cast<size_t>(frames * l.channels), l.format == "f32" ? 0 : 16);
    temp_dir dir;
    auto path = dir / "layout.wav";
    auto enc = make_wav(l.format);
    enc->write_to(path);
    run_into(array_decoder::from_samples(signal, 48000, l.channels), enc);
    auto h = parse_wav(read_bytes(path));
    CHECK(h.format_tag == l.tag);
    CHECK(h.bits == static_cast<unsigned>(8 * sample_bytes(l.format)));
    if (l.tag == 0xFFFE) {
        CHECK(h.cb_size == 22);
        CHECK(h.valid_bits == h.bits);
        CHECK(h.subformat == l.subformat);
        CHECK(h.guid_ok);
        CHECK(h.mask == l.mask);
    }
    CHECK(h.has_fact == (l.format == "f32"));
    if (h.has_fact) CHECK(h.fact == frames);

    auto out = decode_file(path);
    CHECK(out.info.format.channels == l.channels);
    REQUIRE(out.samples.size() == signal.size());
    CHECK(out.samples == signal);
}

TEST_CASE("wav_encoder keeps the exact length of empty and tiny inputs, odd-sized data chunks included",
          "[encoders]") {
    const int64_t frames = GENERATE(0, 1, 100);
    const std::string format = GENERATE("s16", "s24", "f32");
    INFO(frames << " frame(s), " << format);
    temp_dir dir;
    auto path = dir / "tiny.wav";
    auto enc = make_wav(format);
    enc->write_to(path);
    run_into(array_decoder::from_samples(std::vector<float>(static_cast<size_t>(frames), 0.25f), 44100, 1),
             enc);
    auto file = read_bytes(path);
    auto h = parse_wav(file);
    CHECK(h.data_size == frames * sample_bytes(format));
    // No trailing pad byte: GStreamer 1.22 reads nothing from a file that ends on one.
    CHECK(file.size() == h.data_offset + h.data_size);
    CHECK(h.riff_size == file.size() - 8);
    auto out = decode_file(path);
    CHECK(out.frames() == frames);
    CHECK(out.samples == std::vector<float>(static_cast<size_t>(frames), 0.25f));
}
