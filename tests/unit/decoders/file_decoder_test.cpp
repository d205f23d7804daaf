// file_decoder on real files: exact frame counts, exact samples, exact segments, block sizes,
// forced formats, media info, and clear errors for inputs that cannot decode.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <thread>

#include "../test_support.hpp"
#include "core/errors.hpp"
#include "core/registry.hpp"
#include "decoders/file_decoder.hpp"

using namespace timeside;

namespace {

std::shared_ptr<file_decoder> make_decoder(const raw_parameters& params) {
    return get_processor_as<file_decoder>("file_decoder", params);
}

struct decoded {
    stream_info info;
    std::vector<float> samples;
    std::vector<int64_t> block_frames;
    std::vector<int64_t> positions;
};

decoded decode_all(const raw_parameters& params) {
    auto d = make_decoder(params);
    decoded out;
    out.info = d->open();
    while (auto b = d->read()) {
        out.block_frames.push_back(b->frames());
        out.positions.push_back(b->position());
        out.samples.insert(out.samples.end(), b->samples().begin(), b->samples().end());
    }
    d->close();
    return out;
}

std::string error_of(const std::string& uri) {
    try {
        decode_all({{"uri", uri}});
    } catch (const processing_error& e) {
        return e.what();
    }
    return "";
}

std::string sha1sum(const std::filesystem::path& p) {
    std::string cmd = "sha1sum '" + p.string() + "'";
    FILE* f = popen(cmd.c_str(), "r");
    char buf[41] = {};
    REQUIRE(fread(buf, 1, 40, f) == 40);
    pclose(f);
    return buf;
}

}  // namespace

TEST_CASE("a 16-bit WAV decodes to its exact frames and sample values", "[decoders]") {
    test::temp_dir dir;
    const int64_t frames = 100003;  // not a multiple of anything
    auto pcm = test::pcm16_signal(frames, 2);
    test::write_wav16(dir / "in.wav", pcm, 44100, 2);
    auto d = decode_all({{"uri", (dir / "in.wav").string()}, {"blocksize", int64_t{4096}}});
    CHECK(d.info.format == audio_format{44100, 2});
    CHECK(d.info.total_frames == frames);
    REQUIRE(d.samples.size() == pcm.size());
    size_t mismatches = 0;
    for (size_t i = 0; i < pcm.size(); ++i)
        if (d.samples[i] != pcm[i] / 32768.0f) ++mismatches;
    CHECK(mismatches == 0);
    // Every block but the last is exactly blocksize; positions are contiguous.
    for (size_t i = 0; i + 1 < d.block_frames.size(); ++i) CHECK(d.block_frames[i] == 4096);
    CHECK(d.block_frames.back() == frames % 4096);
    for (size_t i = 0; i < d.positions.size(); ++i) CHECK(d.positions[i] == static_cast<int64_t>(i) * 4096);
}

TEST_CASE("a segment is cut to the exact frame", "[decoders]") {
    test::temp_dir dir;
    auto pcm = test::pcm16_signal(48000 * 3, 1);
    test::write_wav16(dir / "in.wav", pcm, 48000, 1);
    // start 0.5 s = frame 24000, duration 1.25 s = 60000 frames.
    auto d = decode_all({{"uri", (dir / "in.wav").string()}, {"start", 0.5}, {"duration", 1.25}});
    CHECK(d.info.is_segment);
    CHECK(d.info.start == 0.5);
    CHECK(d.info.total_frames == 60000);
    REQUIRE(d.samples.size() == 60000);
    CHECK(d.samples.front() == pcm[24000] / 32768.0f);
    CHECK(d.samples[12345] == pcm[24000 + 12345] / 32768.0f);
    CHECK(d.samples.back() == pcm[24000 + 59999] / 32768.0f);
    CHECK(d.positions.front() == 0);  // positions count from the segment's start
}

TEST_CASE("a segment running past the end stops at the end", "[decoders]") {
    test::temp_dir dir;
    test::write_wav16(dir / "in.wav", test::pcm16_signal(8000, 1), 8000, 1);
    auto d = decode_all({{"uri", (dir / "in.wav").string()}, {"start", 0.75}, {"duration", 5.0}});
    CHECK(d.samples.size() == 2000);
    CHECK(d.info.total_frames == 2000);
}

TEST_CASE("a start past the end is a usage error naming it", "[decoders]") {
    test::temp_dir dir;
    test::write_wav16(dir / "in.wav", test::pcm16_signal(8000, 1), 8000, 1);
    CHECK_THROWS_WITH(decode_all({{"uri", (dir / "in.wav").string()}, {"start", 3.0}}),
                      Catch::Contains("start=3 is past the end"));
}

TEST_CASE("forced rate and channels are delivered", "[decoders]") {
    test::temp_dir dir;
    test::write_wav16(dir / "in.wav", test::pcm16_signal(44100, 2), 44100, 2);
    auto d = decode_all({{"uri", (dir / "in.wav").string()}, {"samplerate", int64_t{22050}}, {"channels", int64_t{1}}});
    CHECK(d.info.format == audio_format{22050, 1});
    CHECK(d.info.media->samplerate == 44100);  // the source's own format is still reported
    CHECK(d.info.media->channels == 2);
    CHECK(static_cast<double>(d.samples.size()) == Approx(22050).margin(2));
}

TEST_CASE("media info: mime, duration, tags-free, and the file's sha1", "[decoders]") {
    test::temp_dir dir;
    test::write_wav16(dir / "in.wav", test::pcm16_signal(22050, 1), 22050, 1);
    auto d = decode_all({{"uri", (dir / "in.wav").string()}});
    CHECK(d.info.media->mime == "audio/x-wav");
    CHECK(d.info.media->duration == Approx(1.0));
    CHECK(d.info.media->sha1_hex() == sha1sum(dir / "in.wav"));
    auto m = file_decoder::probe((dir / "in.wav").string());
    CHECK(m.samplerate == 22050);
    CHECK(m.channels == 1);
    CHECK(m.sha1_hex() == sha1sum(dir / "in.wav"));
}

TEST_CASE("file:// URIs decode like paths", "[decoders]") {
    test::temp_dir dir;
    test::write_wav16(dir / "a b.wav", test::pcm16_signal(1000, 1), 8000, 1);
    auto d = decode_all({{"uri", "file://" + (dir / "a%20b.wav").string()}});
    CHECK(d.samples.size() == 1000);
}

TEST_CASE("inputs that cannot decode fail with the input and the cause", "[decoders]") {
    test::temp_dir dir;
    std::ofstream(dir / "empty.wav").close();
    std::ofstream(dir / "text.txt") << "this is not audio, just some text\n";
    test::write_wav16(dir / "full.wav", test::pcm16_signal(44100, 2), 44100, 2);
    std::filesystem::copy_file(dir / "full.wav", dir / "trunc.wav");
    std::filesystem::resize_file(dir / "trunc.wav", 20000);

    CHECK(error_of((dir / "missing.wav").string()) == (dir / "missing.wav").string() + ": no such file");
    CHECK(error_of(dir.path().string()).find("is a directory") != std::string::npos);
    CHECK(error_of("/dev/null") == "/dev/null: not a regular file");
    CHECK(error_of((dir / "empty.wav").string()).find("empty file") != std::string::npos);
    CHECK(error_of((dir / "text.txt").string()).find("could not determine its type") != std::string::npos);
    CHECK(error_of((dir / "trunc.wav").string()).find("truncated WAV") != std::string::npos);
    CHECK(error_of("ftp://example.com/a.wav").find("unsupported URI scheme") != std::string::npos);
    CHECK(error_of("http://127.0.0.1:9/x.wav").find("Connection refused") != std::string::npos);
}

TEST_CASE("cancel from another thread stops a blocked read", "[decoders]") {
    test::temp_dir dir;
    test::write_wav16(dir / "in.wav", test::pcm16_signal(44100 * 20, 2), 44100, 2);
    auto d = make_decoder({{"uri", (dir / "in.wav").string()}, {"blocksize", int64_t{1024}}});
    d->open();
    REQUIRE(d->read());
    d->cancel();
    CHECK_THROWS_AS([&] { while (d->read()) {} }(), cancelled_error);
}
