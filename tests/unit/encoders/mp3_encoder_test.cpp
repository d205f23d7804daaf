// mp3_encoder, checked against outside references: FFmpeg (which honours the LAME tag) for the
// exact length, ffprobe for codec, rate, channels and ID3 tags, the project's GStreamer decoder
// for format and level; chunks are parsed from the MPEG spec, independently of the encoder.
#include "encoders/mp3_encoder.hpp"

#include <catch2/catch.hpp>

#include "../test_support.hpp"
#include "core/errors.hpp"
#include "core/pipe.hpp"
#include "core/registry.hpp"
#include "decoders/array_decoder.hpp"
#include "encoder_test_support.hpp"
#include "mp3_test_support.hpp"

using namespace timeside;
using namespace timeside::test;

namespace {

std::shared_ptr<mp3_encoder> make_mp3(raw_parameters params = {}) {
    return std::dynamic_pointer_cast<mp3_encoder>(default_registry().make("mp3_encoder", params));
}


std::vector<float> signal_for(int rate, int channels, int64_t frames) {
    return channels == 1 ? sine(440, rate, frames, 1, 0.5) : two_tones(rate, frames);
}

void encode_file(const std::filesystem::path& path, std::vector<float> samples, int rate, int channels,
                 raw_parameters params = {}) {
    auto enc = make_mp3(std::move(params));
    enc->write_to(path);
    timeside::pipe p(array_decoder::from_samples(std::move(samples), rate, channels, 4096));
    p.add(enc);
    p.run();
}

}  // namespace

TEST_CASE("mp3_encoder output decodes through FFmpeg to exactly the input's frames", "[encoders][mp3]") {
    const int rate = GENERATE(44100, 48000);
    const int channels = GENERATE(1, 2);
    const std::string mode = GENERATE("cbr", "vbr");
    INFO(rate << " Hz, " << channels << " channel(s), mode=" << mode);
    const int64_t frames = 2 * rate + 1237;  // not a multiple of 1152
    temp_dir dir;
    auto path = dir / "out.mp3";
    encode_file(path, signal_for(rate, channels, frames), rate, channels, {{"mode", mode}});
    auto probe = ffprobe(path);
    CHECK(probe["codec_name"] == "mp3");
    CHECK(probe["sample_rate"] == std::to_string(rate));
    CHECK(probe["channels"] == std::to_string(channels));
    if (mode == "cbr") CHECK(probe["bit_rate"] == "128000");
    CHECK(ffmpeg_frames(path, channels) == frames);
}

TEST_CASE("mp3_encoder keeps rate, channels and level at 8, 44.1, 48 and 96 kHz", "[encoders][mp3]") {
    const int rate = GENERATE(8000, 44100, 48000, 96000);
    const int channels = GENERATE(1, 2);
    INFO(rate << " Hz, " << channels << " channel(s)");
    // 96 kHz is not an MPEG rate: LAME resamples it to 48 kHz (mp3_encoder::encode_rate).
    const int out_rate = rate == 96000 ? 48000 : rate;
    CHECK(mp3_encoder::encode_rate(rate) == out_rate);
    const int64_t frames = 3 * rate + 555;
    temp_dir dir;
    auto path = dir / "out.mp3";
    auto signal = signal_for(rate, channels, frames);
    encode_file(path, signal, rate, channels);

    auto out = decode_file(path);
    CHECK(out.info.format.samplerate == out_rate);
    CHECK(out.info.format.channels == channels);
    CHECK(rms_db(out.samples) == Approx(rms_db(signal)).margin(0.5));
    const int64_t expected = frames * out_rate / rate;
    if (rate == out_rate) {
        CHECK(ffmpeg_frames(path, channels) == frames);
        CHECK(out.frames() == frames);  // GStreamer's mpegaudioparse reads the LAME tag too
    } else {
        CHECK(std::abs(ffmpeg_frames(path, channels) - expected) <= 1);
    }
}

TEST_CASE("mp3_encoder resamples rates MPEG cannot code to the nearest one that keeps the band",
          "[encoders][mp3]") {
    CHECK(mp3_encoder::encode_rate(22050) == 22050);
    CHECK(mp3_encoder::encode_rate(6000) == 8000);
    CHECK(mp3_encoder::encode_rate(37800) == 44100);
    CHECK(mp3_encoder::encode_rate(88200) == 44100);
    CHECK(mp3_encoder::encode_rate(176400) == 44100);
    CHECK(mp3_encoder::encode_rate(192000) == 48000);
}

TEST_CASE("mp3_encoder at the lowest bitrates of each MPEG version keeps the exact length", "[encoders][mp3]") {
    // LAME drops its own Xing/LAME frame when a frame at the stream's bitrate is too small to hold
    // it (below 64 kbit/s at 44.1 kHz): the tag frame takes a bitrate of its own, and FFmpeg must
    // still give back exactly the input's frames, and the stream's bitrate.
    struct low {
        int rate;
        int bitrate;
    };
    const int channels = GENERATE(1, 2);
    for (auto [rate, bitrate] : {low{44100, 32}, low{44100, 40}, low{44100, 48}, low{44100, 56}, low{48000, 32},
                                 low{32000, 32}, low{22050, 8}, low{24000, 24}, low{16000, 8}, low{11025, 8},
                                 low{8000, 8}, low{8000, 16}}) {
        INFO(rate << " Hz, " << channels << " channel(s), bitrate=" << bitrate);
        const int64_t frames = rate + 777;
        temp_dir dir;
        auto path = dir / "low.mp3";
        encode_file(path, signal_for(rate, channels, frames), rate, channels, {{"bitrate", std::to_string(bitrate)}});
        auto probe = ffprobe(path);
        CHECK(probe["sample_rate"] == std::to_string(rate));
        CHECK(probe["bit_rate"] == std::to_string(bitrate * 1000));
        CHECK(ffmpeg_frames(path, channels) == frames);
        // The project's own decoder reads it too, at the same rate and channels.
        const auto back = decode_file(path);
        CHECK(back.info.format.samplerate == rate);
        CHECK(back.info.format.channels == channels);
        CHECK(std::abs(back.frames() - frames) <= 2 * 1152 + 529);
    }
}

TEST_CASE("mp3_encoder's Xing/LAME frame: counts, a rising seek table and a tag CRC that checks", "[encoders][mp3]") {
    // 40 s of VBR mono: 1,531 frames, past the 1,024 offsets the seek table keeps before halving.
    const int rate = 44100;
    const int64_t input = int64_t{rate} * 40;
    temp_dir dir;
    auto path = dir / "long.mp3";
    encode_file(path, sine(440, rate, input, 1, 0.5), rate, 1, {{"mode", "vbr"}});
    const bytes all = read_bytes(path);
    const bytes audio(all.begin() + static_cast<std::ptrdiff_t>(id3_size(all)), all.end());
    const auto lengths = frame_lengths(audio);
    REQUIRE(lengths.size() > 1100);
    const size_t x = 4 + 17;  // MPEG-1 mono: the header and 17 bytes of side information
    REQUIRE(std::string(audio.begin() + x, audio.begin() + x + 4) == "Xing");
    auto be = [&](size_t at, int n) {
        uint64_t v = 0;
        for (int i = 0; i < n; ++i) v = v << 8 | audio[at + static_cast<size_t>(i)];
        return v;
    };
    CHECK(be(x + 4, 4) == 0x0F);
    CHECK(be(x + 8, 4) == lengths.size() - 1);  // every frame but the tag's own
    CHECK(be(x + 12, 4) == audio.size());
    // The seek table: position at each percent of the duration, as 256ths of the bytes.
    CHECK(audio[x + 16] == 0);
    for (size_t i = 1; i < 100; ++i) CHECK(audio[x + 16 + i] >= audio[x + 15 + i]);
    // At 50% of the frames, the table says where that frame starts, within a 256th (VBR of a
    // steady sine: close to half the bytes).
    size_t half = lengths.front();
    for (size_t f = 1; f <= (lengths.size() - 1) / 2; ++f) half += lengths[f];
    CHECK(std::abs(static_cast<double>(audio[x + 16 + 50]) - 256.0 * static_cast<double>(half) / audio.size()) <= 2.0);
    const size_t lame = x + 120;
    CHECK(std::string(audio.begin() + lame, audio.begin() + lame + 4) == "LAME");
    CHECK(be(lame + 28, 4) == audio.size());  // music length: from the tag frame to the end
    // The tag CRC (CRC-16, 0x8005 reflected) covers every byte of the frame before it.
    uint16_t crc = 0;
    for (size_t i = 0; i < lame + 34; ++i) {
        crc ^= audio[i];
        for (int b = 0; b < 8; ++b) crc = (crc & 1) ? static_cast<uint16_t>((crc >> 1) ^ 0xA001) : crc >> 1;
    }
    CHECK(be(lame + 34, 2) == crc);
    CHECK(ffmpeg_frames(path, 1) == input);
}

TEST_CASE("mp3_encoder keeps the exact length of tiny inputs", "[encoders][mp3]") {
    const int64_t frames = GENERATE(1, 100);
    const int channels = GENERATE(1, 2);
    const std::string mode = GENERATE("cbr", "vbr");
    INFO(frames << " frame(s), " << channels << " channel(s), mode=" << mode);
    temp_dir dir;
    auto path = dir / "tiny.mp3";
    encode_file(path, sine(440, 44100, frames, channels, 0.5), 44100, channels, {{"mode", mode}});
    CHECK(ffmpeg_frames(path, channels) == frames);
}

TEST_CASE("mp3_encoder writes an empty input as frames whose LAME tag says zero samples", "[encoders][mp3]") {
    // Neither FFmpeg 5.1 (it wants two audio frames; its own libmp3lame output for an empty input
    // fails alike) nor GStreamer's mpg123 element (it wants one decoded sample) opens such a file,
    // so the check is the tag's arithmetic: frames * 1152 - delay - padding.
    auto sink = std::make_shared<memory_sink>();
    auto enc = make_mp3();
    enc->set_sink(sink);
    timeside::pipe p(array_decoder::from_samples({}, 44100, 2));
    p.add(enc);
    p.run();
    const bytes all = sink->data();
    const bytes audio(all.begin() + static_cast<std::ptrdiff_t>(id3_size(all)), all.end());
    REQUIRE(frame_lengths(audio).size() >= 2);
    auto at = [&](const std::string& s) {
        auto it = std::search(audio.begin(), audio.end(), s.begin(), s.end());
        REQUIRE(it != audio.end());
        return static_cast<size_t>(it - audio.begin());
    };
    const size_t info = at("Info"), lame = at("LAME");
    REQUIRE((audio[info + 7] & 1) != 0);  // the frame count is present
    const auto frames = static_cast<int64_t>(audio[info + 8]) << 24 | audio[info + 9] << 16 |
                        audio[info + 10] << 8 | audio[info + 11];
    const int64_t delay = audio[lame + 21] << 4 | audio[lame + 22] >> 4;
    const int64_t padding = (audio[lame + 22] & 0xF) << 8 | audio[lame + 23];
    CHECK(frames == static_cast<int64_t>(frame_lengths(audio).size()) - 1);  // the tag frame not counted
    CHECK(frames * 1152 - delay - padding == 0);
}

TEST_CASE("mp3_encoder chunks are the ID3 tag, the LAME frame, then whole frames", "[encoders][mp3]") {
    const int rate = GENERATE(8000, 44100, 96000);
    const std::string mode = GENERATE("cbr", "vbr");
    INFO(rate << " Hz, mode=" << mode);
    auto sink = std::make_shared<recording_sink>(true);
    auto mem = std::make_shared<memory_sink>();
    auto a = make_mp3({{"mode", mode}}), b = make_mp3({{"mode", mode}});
    a->set_sink(sink);
    b->set_sink(mem);
    // Blocks of 1000 frames: LAME's output then often ends inside a frame.
    timeside::pipe p(array_decoder::from_samples(two_tones(rate, 2 * rate + 77), rate, 2, 1000));
    p.add(a);
    p.add(b);
    p.run();

    REQUIRE(sink->chunks.size() > 3);
    CHECK(sink->rewrites == 1);
    const size_t tag = id3_size(sink->data());
    CHECK(sink->chunks[0].is_header);
    CHECK(sink->chunks[0].data.size() == tag);
    CHECK(sink->data()[3] == 4);  // ID3v2.4
    // The Xing/LAME frame: one frame, alone, marked as a header.
    CHECK(sink->chunks[1].is_header);
    auto lame_frame = sink->chunks[1].data;
    CHECK(frame_lengths(lame_frame).size() == 1);
    CHECK((contains(lame_frame, mode == "cbr" ? "Info" : "Xing")));
    CHECK(contains(lame_frame, "LAME"));
    for (size_t i = 2; i < sink->chunks.size(); ++i) {
        INFO("chunk " << i);
        CHECK_FALSE(sink->chunks[i].is_header);
        CHECK_FALSE(frame_lengths(sink->chunks[i].data).empty());
    }
    // memory_sink sees the same: headers end where audio starts, and the same bytes.
    CHECK(mem->header_bytes() == tag + lame_frame.size());
    CHECK(mem->chunks() == sink->chunks.size());
    CHECK(mem->data() == sink->data());
}

TEST_CASE("mp3_encoder on a live sink writes no LAME frame and still cuts at frames", "[encoders][mp3]") {
    auto sink = std::make_shared<recording_sink>(false);
    auto enc = make_mp3();
    enc->set_sink(sink);
    timeside::pipe p(array_decoder::from_samples(two_tones(44100, 44100), 44100, 2, 777));
    p.add(enc);
    p.run();
    REQUIRE(sink->chunks.size() > 2);
    CHECK(sink->chunks[0].is_header);
    CHECK(sink->chunks[0].data.size() == id3_size(sink->data()));
    for (size_t i = 1; i < sink->chunks.size(); ++i) {
        INFO("chunk " << i);
        CHECK_FALSE(sink->chunks[i].is_header);
        auto c = sink->chunks[i].data;
        CHECK_FALSE(frame_lengths(c).empty());
        CHECK_FALSE(contains(c, "Info"));
        CHECK_FALSE(contains(c, "Xing"));
    }
    // Decoders then hear LAME's delay and padding, but nothing is lost.
    temp_dir dir;
    auto path = dir / "live.mp3";
    write_file_atomically(path, std::span<const unsigned char>(sink->data()));
    CHECK(ffmpeg_frames(path, 2) >= 44100);
}

TEST_CASE("mp3_encoder writes title, artist and album as ID3v2.4, with the encoder", "[encoders][mp3]") {
    temp_dir dir;
    auto path = dir / "tagged.mp3";
    auto src = tagged_source();
    auto enc = make_mp3();
    enc->write_to(path);
    timeside::pipe p(src);
    p.add(enc);
    p.run();

    auto probe = ffprobe(path);
    CHECK(probe["TAG:title"] == "Sweep é");
    CHECK(probe["TAG:artist"] == "IRCAM");
    CHECK(probe["TAG:album"] == "Tests");
    CHECK(probe["TAG:encoder"] == "TimeSide " TIMESIDE_VERSION);
    CHECK(probe.count("TAG:genre") == 0);
    // The tag does not cost the exact length, and GStreamer reads it too.
    CHECK(ffmpeg_frames(path, 1) == 22050);
    auto out = decode_file(path);
    CHECK(out.info.media->tags.at("title") == "Sweep é");
    CHECK(out.info.media->tags.at("artist") == "IRCAM");
}

TEST_CASE("mp3_encoder bitrate and quality set the size", "[encoders][mp3]") {
    temp_dir dir;
    auto signal = two_tones(44100, 5 * 44100);
    encode_file(dir / "64.mp3", signal, 44100, 2, {{"bitrate", "64"}});
    encode_file(dir / "320.mp3", signal, 44100, 2, {{"bitrate", "320"}});
    CHECK(ffprobe(dir / "64.mp3")["bit_rate"] == "64000");
    CHECK(ffprobe(dir / "320.mp3")["bit_rate"] == "320000");
    // CBR: 5 s at 320 kbit/s is 200 kB, give or take a frame of delay and padding.
    CHECK(std::filesystem::file_size(dir / "320.mp3") == Approx(5 * 320000 / 8).epsilon(0.03));
    encode_file(dir / "v0.mp3", signal, 44100, 2, {{"mode", "vbr"}, {"quality", "0"}});
    encode_file(dir / "v9.mp3", signal, 44100, 2, {{"mode", "vbr"}, {"quality", "9"}});
    CHECK(std::filesystem::file_size(dir / "v0.mp3") > std::filesystem::file_size(dir / "v9.mp3"));
}

TEST_CASE("mp3_encoder rejects bad parameters, naming them and the valid values", "[encoders][mp3]") {
    CHECK_THROWS_WITH(make_mp3({{"bitrate", "13"}}),
                      Catch::Contains("bitrate") && Catch::Contains("8, 16, 24") && Catch::Contains("320"));
    CHECK_THROWS_WITH(make_mp3({{"mode", "abr"}}), Catch::Contains("mode") && Catch::Contains("cbr, vbr"));
    CHECK_THROWS_WITH(make_mp3({{"quality", "9.5"}}), Catch::Contains("quality"));
    CHECK_THROWS_WITH(make_mp3({{"quality", "-1"}}), Catch::Contains("quality"));
    auto enc = make_mp3();
    CHECK(enc->extension() == "mp3");
    CHECK(enc->mime_type() == "audio/mpeg");
    CHECK(enc->parameters().string("mode") == "cbr");
    CHECK(enc->parameters().integer("bitrate") == 128);
    CHECK(enc->parameters().number("quality") == 2.0);
}

TEST_CASE("mp3_encoder refuses at setup a bitrate the rate's MPEG version cannot carry", "[encoders][mp3]") {
    struct bad {
        int rate;
        const char* bitrate;
        const char* valid;  // the message ends with them
    };
    const char* mpeg1 = "32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320";
    for (auto [rate, bitrate, valid] :
         {bad{22050, "320", "8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160"}, bad{44100, "8", mpeg1},
          // LAME caps MPEG-2.5 at 64 kbit/s, below the extension's table.
          bad{8000, "80", "8, 16, 24, 32, 40, 48, 56, 64"}, bad{96000, "16", mpeg1}}) {
        INFO(rate << " Hz, bitrate=" << bitrate);
        auto enc = make_mp3({{"bitrate", bitrate}});
        enc->set_sink(std::make_shared<memory_sink>());
        stream_info in;
        in.format = {rate, 2};
        CHECK_THROWS_AS(enc->setup(in), usage_error);
        CHECK_THROWS_WITH(enc->setup(in), Catch::Contains(std::string("bitrate=") + bitrate) &&
                                              Catch::Contains(std::to_string(rate) + " Hz") &&
                                              Catch::EndsWith(std::string("valid bitrates there: ") + valid));
        enc->abort();
    }
    // VBR ignores bitrate=; 320 is fine at 48 kHz.
    struct good {
        int rate;
        raw_parameters params;
    };
    for (const auto& [rate, params] :
         {good{22050, {{"mode", "vbr"}, {"bitrate", "320"}}}, good{48000, {{"bitrate", "320"}}}}) {
        auto enc = make_mp3(params);
        enc->set_sink(std::make_shared<memory_sink>());
        stream_info in;
        in.format = {rate, 2};
        CHECK_NOTHROW(enc->setup(in));
        enc->abort();
    }
}

TEST_CASE("mp3_encoder's default bitrate falls to 64 kbit/s where the rate carries no more",
          "[encoders][mp3]") {
    temp_dir dir;
    encode_file(dir / "8k.mp3", sine(440, 8000, 8000, 1, 0.5), 8000, 1);
    CHECK(ffprobe(dir / "8k.mp3")["bit_rate"] == "64000");
    CHECK(ffmpeg_frames(dir / "8k.mp3", 1) == 8000);
}

TEST_CASE("mp3_encoder refuses more than two channels, naming the count", "[encoders][mp3]") {
    auto enc = make_mp3();
    enc->set_sink(std::make_shared<memory_sink>());
    stream_info in;
    in.format = {44100, 6};
    CHECK_THROWS_AS(enc->setup(in), usage_error);
    CHECK_THROWS_WITH(enc->setup(in), Catch::Contains("6 channels"));
    enc->abort();
}
