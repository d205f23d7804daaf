// opus_encoder: exact length (OpusHead pre-skip and the last granule, read by our own Ogg parser;
// then the samples GStreamer and FFmpeg decode), level, channel order, header pages, tags, settings.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "../test_support.hpp"
#include "core/errors.hpp"
#include "core/pipe.hpp"
#include "core/registry.hpp"
#include "decoders/array_decoder.hpp"
#include "encoder_test_support.hpp"
#include "encoders/opus_encoder.hpp"
#include "opus_test_support.hpp"

using namespace timeside;
using namespace timeside::test;

namespace {

std::shared_ptr<opus_encoder> make_opus(raw_parameters params = {}) {
    return std::dynamic_pointer_cast<opus_encoder>(default_registry().make("opus_encoder", params));
}

void encode(std::shared_ptr<decoder> src, std::shared_ptr<opus_encoder> enc) {
    timeside::pipe p(std::move(src));
    p.add(std::move(enc));
    p.run();
}

bytes encode_to_memory(std::vector<float> samples, int rate, int channels, raw_parameters params = {}) {
    auto sink = std::make_shared<memory_sink>();
    auto enc = make_opus(std::move(params));
    enc->set_sink(sink);
    encode(array_decoder::from_samples(std::move(samples), rate, channels), enc);
    return sink->data();
}

std::filesystem::path encode_to_file(const temp_dir& dir, std::vector<float> samples, int rate, int channels,
                                     raw_parameters params = {}) {
    auto path = dir / "out.opus";
    auto enc = make_opus(std::move(params));
    enc->write_to(path);
    encode(array_decoder::from_samples(std::move(samples), rate, channels), enc);
    return path;
}


// Deterministic white noise: it needs every bit the encoder is allowed, unlike a steady tone.
std::vector<float> noise(int64_t samples, float amplitude) {
    std::vector<float> out(static_cast<size_t>(samples));
    uint32_t state = 12345;
    for (auto& x : out) {
        state = state * 1664525u + 1013904223u;
        x = amplitude * (static_cast<float>(state >> 8) / 8388608.0f - 1.0f);
    }
    return out;
}

std::vector<float> channel(const std::vector<float>& s, int channels, int c) {
    std::vector<float> out;
    for (size_t i = static_cast<size_t>(c); i < s.size(); i += static_cast<size_t>(channels)) out.push_back(s[i]);
    return out;
}

// The input's length in 48 kHz samples, rounded up, as RFC 7845 end trimming counts it.
int64_t length_48k(int64_t frames, int rate) {
    return (frames * 48000 + rate - 1) / rate;
}

}  // namespace

TEST_CASE("opus_encoder ends on pre-skip plus the input's length at 48 kHz", "[encoders][opus]") {
    // 44,056 Hz (a ratio of 6,000 phases) goes through speexdsp's resampler, the others through ours.
    const int rate = GENERATE(8000, 44056, 44100, 48000, 96000);
    const int channels = GENERATE(1, 2);
    const int64_t frames = rate + 1237;  // not a multiple of any Opus frame
    INFO(rate << " Hz, " << channels << " channel(s)");
    auto signal = channels == 1 ? sine(440, rate, frames, 1, 0.5) : two_tones(rate, frames);
    auto ogg = parse_ogg(encode_to_memory(signal, rate, channels));
    check_ogg_well_formed(ogg);
    auto head = parse_opus_head(ogg.packets.at(0));
    CHECK(head.version == 1);
    CHECK(head.channels == channels);
    CHECK(head.input_rate == static_cast<uint32_t>(rate));
    CHECK(head.family == 0);
    CHECK(head.gain == 0);
    CHECK(head.pre_skip == 312);  // libopus's lookahead at 48 kHz: 6.5 ms
    CHECK(ogg.pages.back().granule == head.pre_skip + length_48k(frames, rate));
}

TEST_CASE("opus_encoder keeps the exact length of empty and tiny inputs", "[encoders][opus]") {
    const int64_t frames = GENERATE(0, 1, 100);
    const int rate = GENERATE(44100, 48000);
    const int channels = GENERATE(1, 2);
    INFO(frames << " frame(s) at " << rate << " Hz, " << channels << " channel(s)");
    temp_dir dir;
    auto path = encode_to_file(dir, sine(440, rate, frames, channels, 0.5), rate, channels);
    auto ogg = parse_ogg(read_bytes(path));
    check_ogg_well_formed(ogg);
    const auto head = parse_opus_head(ogg.packets.at(0));
    CHECK(ogg.pages.back().granule == head.pre_skip + length_48k(frames, rate));
    if (frames == 0) return;  // decoders disagree on whether an empty stream is an error
    auto out = decode_file(path);
    CHECK(out.info.format.samplerate == 48000);
    CHECK(out.frames() == length_48k(frames, rate));
    CHECK(ffmpeg_decode(path).size() == static_cast<size_t>(length_48k(frames, rate) * channels));
}

TEST_CASE("opus_encoder output decodes through GStreamer at 48 kHz with the input's duration and level",
          "[encoders][opus]") {
    const int rate = GENERATE(8000, 44056, 44100, 48000, 96000);
    const int channels = GENERATE(1, 2);
    INFO(rate << " Hz, " << channels << " channel(s)");
    const int64_t frames = 2 * rate + 555;
    temp_dir dir;
    auto signal = channels == 1 ? sine(440, rate, frames, 1, 0.5) : two_tones(rate, frames);
    auto out = decode_file(encode_to_file(dir, signal, rate, channels));
    // GStreamer's opusdec decodes at 48 kHz, or straight at the input's rate when Opus has it
    // natively (8, 12, 16, 24 kHz), where it scales pre-skip and end trimming to match.
    const int decoded_rate = rate == 8000 ? 8000 : 48000;
    CHECK(out.info.format.samplerate == decoded_rate);
    CHECK(out.info.format.channels == channels);
    // At the input's rate the exact frame count; elsewhere the duration within one sample.
    const double expected = static_cast<double>(frames) * decoded_rate / rate;
    if (rate == decoded_rate)
        CHECK(out.frames() == frames);
    else
        CHECK(std::fabs(static_cast<double>(out.frames()) - expected) <= 1.0);
    CHECK(rms_db(out.samples) == Approx(rms_db(signal)).margin(0.5));
    // Each channel keeps its own level: -9.03 dB and -15.05 dB RMS.
    for (int c = 0; c < channels; ++c)
        CHECK(rms_db(channel(out.samples, channels, c)) == Approx(rms_db(channel(signal, channels, c))).margin(0.5));
}

TEST_CASE("opus_encoder output reads in FFmpeg as Opus with the input's channels, duration and level",
          "[encoders][opus]") {
    const int rate = GENERATE(8000, 44100, 48000, 96000);
    const int channels = GENERATE(1, 2);
    INFO(rate << " Hz, " << channels << " channel(s)");
    const int64_t frames = 3 * rate + 777;
    temp_dir dir;
    auto signal = channels == 1 ? sine(440, rate, frames, 1, 0.5) : two_tones(rate, frames);
    auto path = encode_to_file(dir, signal, rate, channels);
    CHECK(ffprobe_field(path, "codec_name") == "opus");
    CHECK(ffprobe_field(path, "sample_rate") == "48000");
    CHECK(ffprobe_field(path, "channels") == std::to_string(channels));
    auto samples = ffmpeg_decode(path);
    const auto decoded = static_cast<int64_t>(samples.size()) / channels;
    if (rate == 48000)
        CHECK(decoded == frames);
    else
        CHECK(std::fabs(static_cast<double>(decoded) - static_cast<double>(frames) * 48000 / rate) <= 1.0);
    for (int c = 0; c < channels; ++c)
        CHECK(rms_db(channel(samples, channels, c)) == Approx(rms_db(channel(signal, channels, c))).margin(0.5));
}

TEST_CASE("opus_encoder keeps every channel of 3 to 8 where GStreamer puts it back", "[encoders][opus]") {
    // Opus's surround family uses Vorbis order, not WAV/GStreamer's. Each channel carries its own
    // tone (whole cycles in one second, so the tones are orthogonal): decoded channel c must match
    // input c, and no other.
    const int channels = GENERATE(3, 5, 6, 8);
    INFO(channels << " channels");
    const int rate = 48000;
    const int64_t frames = rate;
    const channel_tones tones(rate, frames, channels);
    const auto& signal = tones.signal;
    temp_dir dir;
    auto path = encode_to_file(dir, signal, rate, channels, {{"bitrate", int64_t{std::min(510, 64 * channels)}}});
    auto ogg = parse_ogg(read_bytes(path));
    auto head = parse_opus_head(ogg.packets.at(0));
    CHECK(head.family == 1);
    CHECK(head.channels == channels);
    CHECK(ogg.pages.back().granule == head.pre_skip + frames);
    auto out = decode_file(path);
    REQUIRE(out.info.format.channels == channels);
    REQUIRE(out.frames() == frames);
    check_channels_kept_apart(out.samples, tones);
}

TEST_CASE("opus_encoder flags exactly the OpusHead and OpusTags pages, and audio starts on a fresh page",
          "[encoders][opus]") {
    auto rec = std::make_shared<recording_sink>();
    auto mem = std::make_shared<memory_sink>();
    auto a = make_opus(), b = make_opus();
    a->set_sink(rec);
    b->set_sink(mem);
    const int64_t frames = 10 * 44100;
    timeside::pipe p(array_decoder::from_samples(noise(2 * frames, 0.3f), 44100, 2));
    p.add(a);
    p.add(b);
    p.run();
    CHECK(rec->committed);

    REQUIRE(rec->chunks.size() > 3);
    for (size_t i = 0; i < rec->chunks.size(); ++i) {
        INFO("chunk " << i);
        auto one = parse_ogg(rec->chunks[i].data);
        REQUIRE(one.pages.size() == 1);  // one chunk, one page
        CHECK(rec->chunks[i].is_header == (i < 2));
    }
    auto ogg = parse_ogg(rec->data());
    CHECK(ogg.pages[0].packets_ending == 1);
    CHECK(ogg.pages[1].packets_ending == 1);
    CHECK(ogg.pages[1].granule == 0);
    CHECK_NOTHROW(parse_opus_head(ogg.packets[0]));
    CHECK_NOTHROW(opus_tags(ogg.packets[1]));
    CHECK((ogg.pages[2].flags & 1) == 0);  // no packet continued from the headers
    CHECK(ogg.pages[2].granule > 0);

    // Pages short enough for a live listener: half a second of audio at most.
    size_t overhead = 0, audio = 0;
    for (size_t i = 2; i < ogg.pages.size(); ++i) {
        CHECK(ogg.pages[i].granule - ogg.pages[i - 1].granule <= 24000);
        const auto& pg = ogg.pages[i];
        overhead += 27;  // the fixed page header; lacing values are needed however pages fall
        audio += pg.size;
    }
    // ...yet not so short that page headers weigh on the stream.
    CHECK(static_cast<double>(overhead) / static_cast<double>(audio) < 0.01);
    // And on noise, which takes all it is given, the bitrate asked for is the bitrate obtained.
    const double kbps = static_cast<double>(audio) * 8 / (static_cast<double>(frames) / 44100) / 1000;
    CHECK(kbps == Approx(96).epsilon(0.1));

    // memory_sink marks the same boundary, one chunk per page.
    auto mem_ogg = parse_ogg(mem->data());
    CHECK(mem->header_bytes() == mem_ogg.pages[2].offset);
    CHECK(mem->chunks() == mem_ogg.pages.size());
}

TEST_CASE("opus_encoder page_duration bounds the audio one page holds, for live listeners", "[encoders][opus]") {
    // A live mount's latency includes a page's span: 20 ms packets in pages of at most 60 ms.
    auto data = encode_to_memory(noise(2 * 3 * 48000, 0.3f), 48000, 2, {{"frame_duration", "20"}, {"page_duration", "60"}});
    auto ogg = parse_ogg(data);
    REQUIRE(ogg.pages.size() > 40);
    int64_t longest = 0;
    for (size_t i = 3; i < ogg.pages.size(); ++i) longest = std::max(longest, ogg.pages[i].granule - ogg.pages[i - 1].granule);
    CHECK(longest <= 60 * 48);
    CHECK(longest >= 40 * 48);  // pages are filled up to the bound, not one packet each
    // The length is still exact.
    CHECK(ogg.pages.back().granule - parse_opus_head(ogg.packets[0]).pre_skip == 3 * 48000);
}

TEST_CASE("opus_encoder writes title, artist and album as OpusTags, with the encoder", "[encoders][opus]") {
    temp_dir dir;
    auto path = dir / "tagged.opus";
    auto src = tagged_source();
    auto enc = make_opus();
    enc->write_to(path);
    encode(src, enc);

    auto ogg = parse_ogg(read_bytes(path));
    CHECK(opus_tags(ogg.packets.at(1)) == std::vector<std::string>{"TITLE=Sweep é", "ARTIST=IRCAM", "ALBUM=Tests",
                                                                   "ENCODER=TimeSide " TIMESIDE_VERSION});
    // And GStreamer and FFmpeg read them back.
    auto out = decode_file(path);
    CHECK(out.info.media->tags.at("title") == "Sweep é");
    CHECK(out.info.media->tags.at("artist") == "IRCAM");
    CHECK(out.info.media->tags.at("album") == "Tests");
    auto probed = run_command("ffprobe -v error -show_entries stream_tags=title,artist,album "
                                 "-of default=noprint_wrappers=1 '" + path.string() + "'");
    CHECK_THAT(probed, Catch::Contains("TAG:title=Sweep é", Catch::CaseSensitive::No));
    CHECK_THAT(probed, Catch::Contains("TAG:artist=IRCAM", Catch::CaseSensitive::No));
    CHECK_THAT(probed, Catch::Contains("TAG:album=Tests", Catch::CaseSensitive::No));
}

TEST_CASE("opus_encoder bitrate trades size, and every application keeps the exact length",
          "[encoders][opus]") {
    auto signal = two_tones(48000, 3 * 48000);
    auto low = encode_to_memory(signal, 48000, 2, {{"bitrate", int64_t{24}}});
    auto high = encode_to_memory(signal, 48000, 2, {{"bitrate", int64_t{256}}});
    CHECK(high.size() > 3 * low.size());
    auto fast = encode_to_memory(signal, 48000, 2, {{"complexity", int64_t{0}}});
    CHECK(parse_ogg(fast).pages.back().granule == 312 + 3 * 48000);

    for (std::string app : {"audio", "voip", "lowdelay"}) {
        INFO(app);
        temp_dir dir;
        auto path = encode_to_file(dir, signal, 48000, 2, {{"application", app}});
        auto ogg = parse_ogg(read_bytes(path));
        const auto head = parse_opus_head(ogg.packets.at(0));
        // The restricted low-delay mode drops the 4 ms delay compensation: 2.5 ms of lookahead.
        CHECK(head.pre_skip == (app == "lowdelay" ? 120 : 312));
        CHECK(ogg.pages.back().granule == head.pre_skip + 3 * 48000);
        auto out = decode_file(path);
        CHECK(out.frames() == 3 * 48000);
        CHECK(rms_db(out.samples) == Approx(rms_db(signal)).margin(0.5));
    }
}

TEST_CASE("opus_encoder rejects out-of-range settings, naming them", "[encoders][opus]") {
    const std::pair<std::string, std::string> bad[] = {
        {"bitrate", "1"}, {"bitrate", "511"}, {"complexity", "11"}, {"complexity", "-1"}, {"application", "music"}};
    for (const auto& [name, value] : bad) {
        INFO(name << "=" << value);
        try {
            make_opus({{name, value}});
            FAIL("accepted " << name << "=" << value);
        } catch (const usage_error& e) {
            CHECK_THAT(e.what(), Catch::Contains(name));
            if (name == "bitrate") {
                CHECK_THAT(e.what(), Catch::Contains("6"));
                CHECK_THAT(e.what(), Catch::Contains("510"));
            }
        }
    }
    auto enc = make_opus();
    CHECK(enc->parameters().integer("bitrate") == 96);
    CHECK(enc->parameters().integer("complexity") == 10);
    CHECK(enc->parameters().string("application") == "audio");
    CHECK(enc->extension() == "opus");
    CHECK(enc->mime_type() == "audio/ogg");
    CHECK(enc->info().name == "Opus encoder");
    CHECK(make_opus({{"bitrate", "6"}})->parameters().integer("bitrate") == 6);
    CHECK(make_opus({{"bitrate", "510"}})->parameters().integer("bitrate") == 510);
}

TEST_CASE("opus_encoder rejects a channel count Opus cannot carry, naming it", "[encoders][opus]") {
    for (int channels : {0, 9, 255}) {
        INFO(channels);
        auto enc = make_opus();
        enc->set_sink(std::make_shared<memory_sink>());
        stream_info in;
        in.format = {48000, channels};
        try {
            enc->setup(in);
            FAIL("accepted " << channels << " channels");
        } catch (const usage_error& e) {
            CHECK_THAT(e.what(), Catch::Contains(std::to_string(channels) + " channels"));
        }
        enc->abort();
    }
}

TEST_CASE("opus_encoder reports the sink's own error when a page cannot be written mid-stream",
          "[encoders][opus]") {
    // The sink throws while pages are written: the run fails with the sink's own message.
    struct failing_sink : byte_sink {
        void write(std::span<const unsigned char>, bool) override {
            if (++writes > 3) throw processing_error("out.opus: no space left on device");
        }
        int writes = 0;
    };
    auto enc = make_opus();
    enc->set_sink(std::make_shared<failing_sink>());
    try {
        encode(array_decoder::from_samples(noise(2 * 10 * 48000, 0.3f), 48000, 2), enc);
        FAIL("the run succeeded");
    } catch (const processing_error& e) {
        CHECK_THAT(e.what(), Catch::Contains("no space left on device"));
    }
}

TEST_CASE("opus_encoder frame_duration sets the packet length, and keeps the exact length", "[encoders][opus]") {
    for (int64_t ms : {20, 60, 120}) {
        INFO(ms << " ms");
        auto enc = std::dynamic_pointer_cast<encoder>(default_registry().make("opus_encoder", {{"frame_duration", ms}}));
        auto sink = std::make_shared<recording_sink>(true);
        enc->set_sink(sink);
        timeside::pipe p(array_decoder::from_samples(sine(440, 48000, 48000, 2, 0.5), 48000, 2));
        p.add(enc);
        p.run();
        auto ogg = parse_ogg(sink->data());
        REQUIRE(ogg.packets.size() > 3);
        // The first audio packet's TOC byte: config (bits 3-7) and frame-count code (bits 0-1).
        const auto& first = ogg.packets[2];
        const int config = first[0] >> 3, code = first[0] & 3;
        static const int celt_ms10[] = {25, 50, 100, 200}, silk_ms10[] = {100, 200, 400, 600};
        const int frame_ms10 = config >= 16 ? celt_ms10[config & 3] : silk_ms10[config & 3];
        int frames = code == 0 ? 1 : code == 3 ? (first[1] & 0x3f) : 2;
        CHECK(frame_ms10 * frames / 10 == ms);
        CHECK(ogg.pages.back().granule - 312 == 48000);
    }
    CHECK_THROWS_AS(default_registry().make("opus_encoder", {{"frame_duration", int64_t{30}}}), usage_error);
}

TEST_CASE("opus_encoder codes the stream's last milliseconds as faithfully as its middle", "[encoders][opus]") {
    // Opus codes past the input's end (its lookahead, the rest of the last packet): a step down to
    // silence there would ring back into the last samples a decoder keeps. The end is continued
    // by prediction instead; the decoded tone's error over its last 2.5 ms is that of its middle.
    const int64_t frames = 48000 + 1237;
    const int64_t span = 120;
    for (double freq : {440.0, 1000.0, 3000.0}) {
        INFO(freq << " Hz");
        auto signal = sine(freq, 48000, frames, 1, 0.5);
        temp_dir dir;
        auto decoded = ffmpeg_decode(encode_to_file(dir, signal, 48000, 1));
        REQUIRE(decoded.size() == static_cast<size_t>(frames));
        auto error_db = [&](int64_t from) {
            double err = 0, power = 0;
            for (auto i = static_cast<size_t>(from); i < static_cast<size_t>(from + span); ++i) {
                err += (decoded[i] - signal[i]) * (decoded[i] - signal[i]);
                power += signal[i] * signal[i];
            }
            return 10 * std::log10(err / power);
        };
        double middle = -1000;
        for (int64_t at = frames / 2; at < frames / 2 + 20 * span; at += span) middle = std::max(middle, error_db(at));
        const double end = error_db(frames - span);
        INFO("error: middle (worst of 20 spans) " << middle << " dB, last span " << end << " dB");
        CHECK(end < middle + 3);
    }
}
