// flac_encoder: samples, lengths, STREAMINFO (parsed here from the spec, MD5 computed with OpenSSL),
// chunks and frames, seek table and tags, checked against the project's GStreamer file_decoder and
// against FFmpeg (ffmpeg/ffprobe through popen, skipped with a warning where they are missing).
#include <catch2/catch.hpp>

#include "../test_support.hpp"
#include "core/errors.hpp"
#include "encoders/flac_encoder.hpp"
#include "flac_test_support.hpp"
#include "wav_test_support.hpp"

using namespace timeside;
using namespace timeside::test;

namespace {

using Catch::Matchers::Contains;

// The message of the usage_error `f` throws; "" if it throws nothing or something else.
template <class F>
std::string usage_message(F f) {
    try {
        f();
    } catch (const usage_error& e) {
        return e.what();
    } catch (...) {
    }
    return {};
}

std::shared_ptr<flac_encoder> make_flac(raw_parameters params = {}) {
    return std::dynamic_pointer_cast<flac_encoder>(default_registry().make("flac_encoder", params));
}

// Encodes through a decoder that announces `claimed` frames (the true count by default) and tags.
void encode(std::shared_ptr<byte_sink> sink, const std::vector<float>& signal, int rate, int channels,
            raw_parameters params = {}, int64_t claimed = -2, std::map<std::string, std::string> tags = {}) {
    const int64_t frames = static_cast<int64_t>(signal.size()) / channels;
    auto enc = make_flac(std::move(params));
    enc->set_sink(std::move(sink));
    run_into(std::make_shared<shaped_decoder>(signal, rate, channels, claimed == -2 ? frames : claimed, tags), enc);
}

bytes encode_file(const std::filesystem::path& path, const std::vector<float>& signal, int rate, int channels,
                  raw_parameters params = {}, int64_t claimed = -2, std::map<std::string, std::string> tags = {}) {
    encode(std::make_shared<file_sink>(path), signal, rate, channels, std::move(params), claimed, std::move(tags));
    return read_bytes(path);
}

}  // namespace

TEST_CASE("flac_encoder output decodes bit-exactly at the exact length, with a true STREAMINFO", "[encoders][flac]") {
    const int rate = GENERATE(8000, 44100, 48000, 96000);
    const int channels = GENERATE(1, 2, 6);
    INFO(rate << " Hz, " << channels << " channel(s)");
    const int64_t frames = rate / 2 + 4099;  // not a whole number of FLAC blocks
    auto signal = noise(static_cast<size_t>(frames * channels), 16);
    temp_dir dir;
    auto path = dir / "out.flac";
    auto h = parse_flac(encode_file(path, signal, rate, channels));
    CHECK(h.rate == static_cast<unsigned>(rate));
    CHECK(h.channels == static_cast<unsigned>(channels));
    CHECK(h.bits == 16);
    CHECK(h.total == static_cast<uint64_t>(frames));
    CHECK(h.md5 == pcm_md5(to_ints(signal, 16), 16));
    CHECK(flac_test(path));

    auto out = decode_file(path);
    CHECK(out.info.format.samplerate == rate);
    CHECK(out.info.format.channels == channels);
    CHECK(out.info.total_frames == frames);
    CHECK(out.samples == signal);  // every channel in its place, every sample exact
    if (have("ffprobe")) {
        auto p = ffprobe(path, "stream=codec_name,sample_rate,channels");
        CHECK(p["codec_name"] == "flac");
        CHECK(p["sample_rate"] == std::to_string(rate));
        CHECK(p["channels"] == std::to_string(channels));
    }
    if (have("ffmpeg")) CHECK(ffmpeg_decode(path, 16) == to_ints(signal, 16));
}

TEST_CASE("flac_encoder keeps 24-bit input exact at bits=24", "[encoders][flac]") {
    const int channels = GENERATE(1, 2);
    auto signal = noise(static_cast<size_t>(48000 * channels), 24);
    temp_dir dir;
    auto path = dir / "hi.flac";
    auto h = parse_flac(encode_file(path, signal, 48000, channels, {{"bits", int64_t{24}}}));
    CHECK(h.bits == 24);
    CHECK(h.total == 48000);
    CHECK(h.md5 == pcm_md5(to_ints(signal, 24), 24));
    CHECK(flac_test(path));
    CHECK(decode_file(path).samples == signal);
    if (have("ffprobe")) CHECK(ffprobe(path, "stream=bits_per_raw_sample")["bits_per_raw_sample"] == "24");
    if (have("ffmpeg")) CHECK(ffmpeg_decode(path, 24) == to_ints(signal, 24));
}

TEST_CASE("flac_encoder keeps the exact length and MD5 of tiny inputs", "[encoders][flac]") {
    const int64_t frames = GENERATE(1, 100);
    const int channels = GENERATE(1, 2);
    INFO(frames << " frame(s), " << channels << " channel(s)");
    auto signal = noise(static_cast<size_t>(frames * channels), 16);
    temp_dir dir;
    auto path = dir / "tiny.flac";
    auto h = parse_flac(encode_file(path, signal, 44100, channels));
    CHECK(h.total == static_cast<uint64_t>(frames));
    CHECK(h.md5 == pcm_md5(to_ints(signal, 16), 16));
    CHECK(decode_file(path).samples == signal);
    if (have("ffmpeg")) CHECK(ffmpeg_decode(path, 16) == to_ints(signal, 16));
}

TEST_CASE("flac_encoder rounds and clips as wav_encoder does, with no dither", "[encoders][flac]") {
    const float lsb = 1.0f / 32768;
    std::vector<float> in = {1.0f, -1.0f, 2.0f, -3.0f, 0.0f, 0.4f * lsb, 0.6f * lsb, -0.6f * lsb, 1000.4f * lsb, std::nanf("")};
    auto arbitrary = noise(20000, 0);  // off any grid: every sample is rounded
    in.insert(in.end(), arbitrary.begin(), arbitrary.end());
    const auto bits = GENERATE(16, 24);
    temp_dir dir;
    encode_file(dir / "r.flac", in, 44100, 1, {{"bits", int64_t{bits}}});
    auto wav = make_wav(bits == 16 ? "s16" : "s24");
    wav->write_to(dir / "r.wav");
    run_into(array_decoder::from_samples(in, 44100, 1), wav);
    auto from_flac = decode_file(dir / "r.flac"), from_wav = decode_file(dir / "r.wav");
    REQUIRE(from_flac.samples.size() == in.size());
    CHECK(from_flac.samples == from_wav.samples);
    CHECK(from_flac.samples[0] == 1.0f - 1.0f / static_cast<float>(1 << (bits - 1)));  // full scale, clipped
    CHECK(from_flac.samples[9] == 0.0f);
}

TEST_CASE("flac_encoder marks the metadata as header chunks and gives every frame a chunk of its own",
          "[encoders][flac]") {
    const bool rewritable = GENERATE(true, false);
    INFO((rewritable ? "a file-like sink" : "a live sink"));
    const int64_t frames = 44100 * 2 + 123;
    auto signal = noise(static_cast<size_t>(frames * 2), 16);
    auto sink = std::make_shared<recording_sink>(rewritable);
    encode(sink, signal, 44100, 2, {}, rewritable ? -2 : -1);  // live: length unknown
    auto h = parse_flac(sink->data());
    size_t headers = 0;
    while (headers < sink->chunks.size() && sink->chunks[headers].is_header) ++headers;
    for (size_t i = headers; i < sink->chunks.size(); ++i) CHECK_FALSE(sink->chunks[i].is_header);
    REQUIRE(headers < sink->chunks.size());
    CHECK(sink->offset(headers) == h.audio_offset);
    CHECK(headers == h.types.size() + 1);  // "fLaC", then one chunk per metadata block
    for (size_t i = headers; i < sink->chunks.size(); ++i) {
        const auto& c = sink->chunks[i].data;
        CHECK(frame_number(c.data(), c.size()) == static_cast<int64_t>(i - headers));
    }
    CHECK(sink->chunks.size() - headers == static_cast<size_t>((frames + h.max_block - 1) / h.max_block));
    if (rewritable) {
        CHECK(h.total == static_cast<uint64_t>(frames));
        CHECK(h.md5 == pcm_md5(to_ints(signal, 16), 16));
        auto mem = std::make_shared<memory_sink>();
        encode(mem, signal, 44100, 2);
        CHECK(mem->header_bytes() == h.audio_offset);
        CHECK(mem->data() == sink->data());
    } else {
        CHECK(h.total == 0);  // unknown, and an MD5 of zeros: "not computed", as decoders read it
        CHECK(h.md5 == bytes(16, 0));
        CHECK(h.types == std::vector<int>{0, 4});  // no seek table nor padding to patch
        temp_dir dir;
        const bytes all = sink->data();
        write_bytes(dir / "live.flac", all);
        CHECK(decode_file(dir / "live.flac").samples == signal);
        if (have("ffmpeg")) {
            // A listener joining at the fifth frame gets the header chunks, then frames from there.
            bytes late(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(h.audio_offset));
            late.insert(late.end(), all.begin() + static_cast<std::ptrdiff_t>(sink->offset(headers + 4)), all.end());
            write_bytes(dir / "late.flac", late);
            auto ints = to_ints(signal, 16);
            CHECK(ffmpeg_decode(dir / "late.flac", 16) == std::vector<int32_t>(ints.begin() + 4 * h.max_block * 2, ints.end()));
        }
    }
}

TEST_CASE("flac_encoder writes a seek table every 10 seconds that points at the frames, and little padding",
          "[encoders][flac]") {
    const int rate = 8000;
    const int64_t frames = 25 * rate + 77;
    auto signal = noise(static_cast<size_t>(frames), 16);
    temp_dir dir;
    auto path = dir / "seek.flac";
    auto file = encode_file(path, signal, rate, 1);
    auto h = parse_flac(file);
    CHECK(h.padding > 0);
    CHECK(h.padding <= 4096);
    REQUIRE(h.seek.size() == 3);
    for (size_t i = 0; i < h.seek.size(); ++i) {
        const auto& p = h.seek[i];
        INFO("seek point " << i);
        CHECK(p.frame_samples == h.max_block);
        CHECK(p.sample <= i * 10 * rate);
        CHECK(p.sample + p.frame_samples > i * 10 * rate);
        REQUIRE(h.audio_offset + p.offset < file.size());
        CHECK(frame_number(&file[h.audio_offset + p.offset], file.size() - h.audio_offset - p.offset) * h.max_block ==
              static_cast<int64_t>(p.sample));
    }
    if (have("ffmpeg")) {
        auto ints = to_ints(signal, 16);
        auto tail = ffmpeg_decode(path, 16, "12");
        CHECK(tail == std::vector<int32_t>(ints.begin() + 12 * rate, ints.end()));
    }
}

TEST_CASE("flac_encoder's STREAMINFO and seek table stay true when the announced length was wrong",
          "[encoders][flac]") {
    const int64_t frames = 30000, claimed = GENERATE(20000, 100000);
    const bool rewritable = GENERATE(true, false);
    INFO("claimed " << claimed << ", " << (rewritable ? "file-like" : "live") << " sink");
    auto signal = noise(static_cast<size_t>(frames), 16);
    auto sink = std::make_shared<recording_sink>(rewritable);
    encode(sink, signal, 8000, 1, {}, claimed);
    auto h = parse_flac(sink->data());
    temp_dir dir;
    write_bytes(dir / "x.flac", sink->data());
    auto out = decode_file(dir / "x.flac").samples;
    if (rewritable) {  // the truth, patched at the end
        CHECK(h.total == static_cast<uint64_t>(frames));
        CHECK(h.md5 == pcm_md5(to_ints(signal, 16), 16));
        CHECK(out == signal);
        for (const auto& p : h.seek)
            if (p.sample != ~uint64_t{0}) CHECK(p.sample < static_cast<uint64_t>(frames));
    } else {  // what was announced: the input cut there, or followed by silence
        CHECK(h.total == static_cast<uint64_t>(claimed));
        auto expected = signal;
        expected.resize(static_cast<size_t>(claimed), 0.0f);
        CHECK(out == expected);
    }
}

TEST_CASE("flac_encoder writes the title, artist and album, and itself as ENCODER", "[encoders][flac]") {
    temp_dir dir;
    auto path = dir / "tags.flac";
    auto h = parse_flac(encode_file(path, noise(8000, 16), 8000, 1, {}, -2,
                                    {{"title", "Été indien"}, {"artist", "Joe Dassin"}, {"album", "Le Jardin"}}));
    CHECK(std::count(h.comments.begin(), h.comments.end(), "ENCODER=TimeSide " TIMESIDE_VERSION) == 1);
    if (have("ffprobe")) {
        auto tags = ffprobe(path, "format_tags=title,artist,album,encoder");
        CHECK(tags["TAG:TITLE"] == "Été indien");
        CHECK(tags["TAG:ARTIST"] == "Joe Dassin");
        CHECK(tags["TAG:ALBUM"] == "Le Jardin");
        CHECK(tags["TAG:ENCODER"] == "TimeSide " TIMESIDE_VERSION);
    }
}

TEST_CASE("flac_encoder is lossless at every compression level, smaller at 8 than at 0", "[encoders][flac]") {
    auto signal = sine(440, 44100, 44100, 2, 0.5);
    for (auto& v : signal) v = std::round(v * 32768) / 32768;
    temp_dir dir;
    auto fast = encode_file(dir / "0.flac", signal, 44100, 2, {{"compression", int64_t{0}}});
    auto small = encode_file(dir / "8.flac", signal, 44100, 2, {{"compression", int64_t{8}}});
    CHECK(small.size() < fast.size());
    CHECK(decode_file(dir / "0.flac").samples == signal);
    CHECK(decode_file(dir / "8.flac").samples == signal);
}

TEST_CASE("flac_encoder takes any rate from 1 to 655350 Hz and up to 8 channels", "[encoders][flac]") {
    struct shape {
        int rate, channels;
    };
    const auto s = GENERATE(shape{1, 1}, shape{100001, 2}, shape{655350, 1}, shape{44100, 8});
    INFO(s.rate << " Hz, " << s.channels << " channel(s)");
    auto signal = noise(static_cast<size_t>(5000 * s.channels), 16);
    temp_dir dir;
    auto path = dir / "odd.flac";
    auto h = parse_flac(encode_file(path, signal, s.rate, s.channels));
    CHECK(h.rate == static_cast<unsigned>(s.rate));
    CHECK(h.channels == static_cast<unsigned>(s.channels));
    if (have("ffprobe")) CHECK(ffprobe(path, "stream=sample_rate")["sample_rate"] == std::to_string(s.rate));
    if (have("ffmpeg")) CHECK(ffmpeg_decode(path, 16) == to_ints(signal, 16));
}

TEST_CASE("flac_encoder refuses bad settings, naming them", "[encoders][flac]") {
    CHECK_THAT(usage_message([] { make_flac({{"compression", int64_t{12}}}); }),
               Contains("compression") && Contains("0 to 8"));
    CHECK_THAT(usage_message([] { make_flac({{"bits", int64_t{20}}}); }), Contains("bits") && Contains("16, 24"));
    struct shape {
        int rate, channels;
        std::string named;
    };
    const auto s = GENERATE(shape{0, 2, "0 Hz"}, shape{655351, 2, "655351 Hz"}, shape{44100, 9, "9 channels"},
                            shape{44100, 0, "0 channels"});
    auto enc = make_flac();
    enc->set_sink(std::make_shared<memory_sink>());
    stream_info in;
    in.format = {s.rate, s.channels};
    CHECK_THAT(usage_message([&] { enc->setup(in); }), Contains(s.named));
    enc->abort();
}
