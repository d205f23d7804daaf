// wav_encoder: the header's sizes when the length is unknown or wrong (patched, or kept true on a
// sink that cannot rewrite), header flags, parameters, and the failure paths.
#include <catch2/catch.hpp>

#include <atomic>

#include "../test_support.hpp"
#include "core/errors.hpp"
#include "wav_test_support.hpp"

using namespace timeside;
using namespace timeside::test;

TEST_CASE("wav_encoder patches the header when the length was unknown or wrong", "[encoders]") {
    const int64_t frames = 30011;
    const int64_t claimed = GENERATE(-1, 1000, 100000);
    INFO("the decoder claimed " << claimed << " frames");
    auto signal = sine(440, 44100, frames, 2, 0.5);

    temp_dir dir;
    auto path = dir / "patched.wav";
    auto to_file = make_wav("s16");
    to_file->write_to(path);
    run_into(std::make_shared<shaped_decoder>(signal, 44100, 2, claimed), to_file);
    auto file = read_bytes(path);
    auto h = parse_wav(file);
    CHECK(h.data_size == frames * 4);
    CHECK(h.riff_size == file.size() - 8);
    CHECK(decode_file(path).frames() == frames);

    auto mem = std::make_shared<memory_sink>();
    auto to_memory = make_wav("f32");
    to_memory->set_sink(mem);
    run_into(std::make_shared<shaped_decoder>(signal, 44100, 2, claimed), to_memory);
    auto hm = parse_wav(mem->data());
    CHECK(hm.data_size == frames * 8);
    CHECK(hm.fact == frames);
    CHECK(hm.riff_size == mem->data().size() - 8);
}

TEST_CASE("wav_encoder on a sink that cannot rewrite: streaming sizes, or the length it declared",
          "[encoders]") {
    const int64_t frames = 30011;
    auto signal = sine(440, 44100, frames, 1, 0.5);
    temp_dir dir;

    SECTION("unknown length: 0xFFFFFFFF sizes, and the data still decodes") {
        auto sink = std::make_shared<recording_sink>(false);
        auto enc = make_wav("s16");
        enc->set_sink(sink);
        run_into(std::make_shared<shaped_decoder>(signal, 44100, 1, -1), enc);
        auto data = sink->data();
        auto h = parse_wav(data);
        CHECK(h.riff_size == 0xFFFFFFFFu);
        CHECK(h.data_size == 0xFFFFFFFFu);
        CHECK(data.size() - h.data_offset == frames * 2);
        write_file_atomically(dir / "stream.wav", data);
        CHECK(decode_file(dir / "stream.wav").frames() == frames);
    }
    SECTION("a length claimed too long is filled with silence") {
        auto sink = std::make_shared<recording_sink>(false);
        auto enc = make_wav("s16");
        enc->set_sink(sink);
        run_into(std::make_shared<shaped_decoder>(signal, 44100, 1, frames + 500), enc);
        auto data = sink->data();
        auto h = parse_wav(data);
        CHECK(h.data_size == (frames + 500) * 2);
        CHECK(data.size() == h.data_offset + h.data_size);
        for (size_t i = h.data_offset + frames * 2; i < data.size(); ++i) CHECK(data[i] == 0);
    }
    SECTION("a length claimed too short is kept, the excess dropped") {
        auto sink = std::make_shared<recording_sink>(false);
        auto enc = make_wav("s16");
        enc->set_sink(sink);
        run_into(std::make_shared<shaped_decoder>(signal, 44100, 1, frames - 500), enc);
        auto data = sink->data();
        auto h = parse_wav(data);
        CHECK(h.data_size == (frames - 500) * 2);
        CHECK(h.riff_size == data.size() - 8);
    }
}

TEST_CASE("wav_encoder flags the header chunk and only it", "[encoders]") {
    auto rec = std::make_shared<recording_sink>();
    auto mem = std::make_shared<memory_sink>();
    auto a = make_wav("s16"), b = make_wav("s16");
    a->set_sink(rec);
    b->set_sink(mem);
    timeside::pipe p(array_decoder::from_samples(sine(440, 44100, 20000, 2), 44100, 2, 4096));
    p.add(a);
    p.add(b);
    p.run();
    REQUIRE(rec->chunks.size() == 6);  // header + 5 blocks
    CHECK(rec->chunks[0].is_header);
    CHECK(rec->chunks[0].data.size() == 44);
    for (size_t i = 1; i < rec->chunks.size(); ++i) CHECK_FALSE(rec->chunks[i].is_header);
    CHECK(mem->header_bytes() == 44);
    CHECK(mem->data().size() == 44 + 20000 * 4);
}

TEST_CASE("wav_encoder rejects an unknown format, naming the parameter", "[encoders]") {
    try {
        make_wav("s8");
        FAIL("accepted format=s8");
    } catch (const usage_error& e) {
        CHECK_THAT(e.what(), Catch::Contains("format"));
        CHECK_THAT(e.what(), Catch::Contains("s8"));
    }
    auto w = std::dynamic_pointer_cast<wav_encoder>(default_registry().make("wav_encoder"));
    CHECK(w->parameters().string("format") == "s16");
    CHECK(w->extension() == "wav");
    CHECK(w->mime_type() == "audio/wav");
}
