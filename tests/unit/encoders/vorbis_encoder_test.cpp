// vorbis_encoder: exact length (the last granule position, read by our own Ogg parser), level
// through a GStreamer decode, header pages, tags, failures at setup and aborted runs.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>

#include "../test_support.hpp"
#include "core/errors.hpp"
#include "core/pipe.hpp"
#include "core/registry.hpp"
#include "decoders/array_decoder.hpp"
#include "encoder_test_support.hpp"
#include "encoders/vorbis_encoder.hpp"

using namespace timeside;
using namespace timeside::test;

namespace {

std::shared_ptr<vorbis_encoder> make_vorbis(raw_parameters params = {}) {
    return std::dynamic_pointer_cast<vorbis_encoder>(default_registry().make("vorbis_encoder", params));
}

bytes encode_to_memory(std::vector<float> samples, int rate, int channels, raw_parameters params = {}) {
    auto sink = std::make_shared<memory_sink>();
    auto enc = make_vorbis(std::move(params));
    enc->set_sink(sink);
    timeside::pipe p(array_decoder::from_samples(std::move(samples), rate, channels));
    p.add(enc);
    p.run();
    return sink->data();
}


}  // namespace

TEST_CASE("vorbis_encoder ends on a granule position equal to the input's frames", "[encoders]") {
    const int rate = GENERATE(8000, 44100, 48000, 96000);
    const int channels = GENERATE(1, 2);
    const int64_t frames = rate + 1237;  // not a multiple of any Vorbis block size
    INFO(rate << " Hz, " << channels << " channel(s)");
    auto signal = channels == 1 ? sine(440, rate, frames, 1, 0.5) : two_tones(rate, frames);
    auto ogg = parse_ogg(encode_to_memory(signal, rate, channels));
    check_ogg_well_formed(ogg);
    CHECK(ogg.pages.back().granule == frames);
    // The identification header says what was encoded.
    REQUIRE(ogg.packets.size() > 3);
    const auto& id = ogg.packets[0];
    REQUIRE(id.size() >= 16);
    CHECK(id[11] == channels);
    CHECK(read_le(&id[12], 4) == static_cast<uint64_t>(rate));
}

TEST_CASE("vorbis_encoder keeps the exact length of empty and tiny inputs", "[encoders]") {
    const int64_t frames = GENERATE(0, 1, 100);
    const int channels = GENERATE(1, 2);
    INFO(frames << " frame(s), " << channels << " channel(s)");
    auto ogg = parse_ogg(encode_to_memory(sine(440, 44100, frames, channels, 0.5), 44100, channels));
    check_ogg_well_formed(ogg);
    CHECK(ogg.pages.back().granule == frames);
}

TEST_CASE("vorbis_encoder output decodes through GStreamer at the same length, format and level",
          "[encoders]") {
    const int rate = GENERATE(8000, 44100, 48000, 96000);
    const int channels = GENERATE(1, 2);
    INFO(rate << " Hz, " << channels << " channel(s)");
    const int64_t frames = 2 * rate + 555;
    temp_dir dir;
    auto path = dir / "out.ogg";
    auto signal = channels == 1 ? sine(440, rate, frames, 1, 0.5) : two_tones(rate, frames);
    auto enc = make_vorbis();
    enc->write_to(path);
    timeside::pipe p(array_decoder::from_samples(signal, rate, channels));
    p.add(enc);
    p.run();

    auto out = decode_file(path);
    CHECK(out.info.format.samplerate == rate);
    CHECK(out.info.format.channels == channels);
    CHECK(out.info.total_frames == frames);
    // GStreamer 1.22's vorbisdec clips the end by timestamp and sometimes rounds one frame up,
    // for FFmpeg's libvorbis files as well (44100 frames come back as 44101); the granule
    // position, checked exactly above, is what the file says.
    CHECK(std::abs(out.frames() - frames) <= 1);
    CHECK(rms_db(out.samples) == Approx(rms_db(signal)).margin(0.5));
    if (channels == 2) {
        // Each channel keeps its own level: -9.03 dB and -15.05 dB RMS.
        std::vector<float> l, r, in_l, in_r;
        for (size_t i = 0; i + 1 < out.samples.size(); i += 2) {
            l.push_back(out.samples[i]);
            r.push_back(out.samples[i + 1]);
        }
        for (size_t i = 0; i + 1 < signal.size(); i += 2) {
            in_l.push_back(signal[i]);
            in_r.push_back(signal[i + 1]);
        }
        CHECK(rms_db(l) == Approx(rms_db(in_l)).margin(0.5));
        CHECK(rms_db(r) == Approx(rms_db(in_r)).margin(0.5));
    }
}

TEST_CASE("vorbis_encoder keeps every channel of 3 to 8 where GStreamer puts it back", "[encoders]") {
    // Vorbis orders surround channels differently from WAV/GStreamer. Each channel carries its own
    // tone (whole cycles in one second, so the tones are orthogonal): decoded channel c must match
    // input c, and no other.
    const int channels = GENERATE(3, 6, 8);
    INFO(channels << " channels");
    const int rate = 48000;
    const int64_t frames = rate;
    const channel_tones tones(rate, frames, channels);
    const auto& signal = tones.signal;
    temp_dir dir;
    auto path = dir / "surround.ogg";
    auto enc = make_vorbis();
    enc->write_to(path);
    timeside::pipe p(array_decoder::from_samples(signal, rate, channels));
    p.add(enc);
    p.run();
    auto out = decode_file(path);
    REQUIRE(out.info.format.channels == channels);
    REQUIRE(out.frames() >= frames);
    check_channels_kept_apart(out.samples, tones);
}

TEST_CASE("vorbis_encoder flags exactly the header pages, and audio starts on a fresh page", "[encoders]") {
    auto rec = std::make_shared<recording_sink>();
    auto mem = std::make_shared<memory_sink>();
    auto a = make_vorbis(), b = make_vorbis();
    a->set_sink(rec);
    b->set_sink(mem);
    auto signal = sine(440, 44100, 44100, 2, 0.5);
    timeside::pipe p(array_decoder::from_samples(signal, 44100, 2));
    p.add(a);
    p.add(b);
    p.run();
    CHECK(rec->committed);

    size_t header_chunks = 0;
    for (const auto& c : rec->chunks) {
        auto one = parse_ogg(c.data);
        REQUIRE(one.pages.size() == 1);  // one chunk, one page
        if (c.is_header) {
            CHECK(header_chunks ==
                  static_cast<size_t>(&c - rec->chunks.data()));  // headers come first, together
            ++header_chunks;
            CHECK(one.pages[0].granule == 0);
        }
    }
    auto ogg = parse_ogg(rec->data());
    REQUIRE(header_chunks >= 2);
    REQUIRE(header_chunks < ogg.pages.size());
    int packets = 0;
    for (size_t i = 0; i < header_chunks; ++i) packets += ogg.pages[i].packets_ending;
    CHECK(packets == 3);
    CHECK(ogg.pages[0].packets_ending == 1);
    CHECK((ogg.pages[header_chunks].flags & 1) == 0);
    // The first audio packet (it decodes to nothing) has a page of its own, so that the first
    // audio page is never also the last, where end trimming and start offset would be confused.
    CHECK(ogg.pages[header_chunks].granule == 0);
    CHECK(ogg.pages[header_chunks].packets_ending == 1);
    // Pages span half a second at most (plus the packet that crossed the mark).
    for (size_t i = header_chunks + 1; i < ogg.pages.size(); ++i)
        CHECK(ogg.pages[i].granule - ogg.pages[i - 1].granule <= 44100 / 2 + 2048);
    for (int i = 0; i < 3; ++i) CHECK(ogg.packets[static_cast<size_t>(i)][0] == 2 * i + 1);  // 1, 3, 5
    CHECK((ogg.packets[3][0] & 1) == 0);  // an audio packet

    // memory_sink marks the same boundary, one chunk per page.
    auto mem_ogg = parse_ogg(mem->data());
    CHECK(mem->header_bytes() == mem_ogg.pages[header_chunks].offset);
    CHECK(mem->chunks() == mem_ogg.pages.size());
}

TEST_CASE("vorbis_encoder writes title, artist and album as Vorbis comments, with the encoder",
          "[encoders]") {
    temp_dir dir;
    auto path = dir / "tagged.ogg";
    auto src = tagged_source();
    auto enc = make_vorbis();
    enc->write_to(path);
    timeside::pipe p(src);
    p.add(enc);
    p.run();

    auto ogg = parse_ogg(read_bytes(path));
    auto fields = vorbis_comments(ogg.packets.at(1));
    CHECK(fields == std::vector<std::string>{"TITLE=Sweep é", "ARTIST=IRCAM", "ALBUM=Tests",
                                             "ENCODER=TimeSide " TIMESIDE_VERSION});
    // And GStreamer reads them back.
    auto out = decode_file(path);
    CHECK(out.info.media->tags.at("title") == "Sweep é");
    CHECK(out.info.media->tags.at("artist") == "IRCAM");
    CHECK(out.info.media->tags.at("album") == "Tests");
}

TEST_CASE("vorbis_encoder quality trades size for fidelity", "[encoders]") {
    auto signal = two_tones(44100, 3 * 44100);
    auto low = encode_to_memory(signal, 44100, 2, {{"quality", 0.0}});
    auto high = encode_to_memory(signal, 44100, 2, {{"quality", 1.0}});
    CHECK(high.size() > low.size());
}

TEST_CASE("vorbis_encoder rejects an out-of-range quality, naming it", "[encoders]") {
    for (std::string bad : {"1.5", "-0.2", "loud"}) {
        INFO(bad);
        try {
            make_vorbis({{"quality", bad}});
            FAIL("accepted quality=" << bad);
        } catch (const usage_error& e) {
            CHECK_THAT(e.what(), Catch::Contains("quality"));
        }
    }
    CHECK(make_vorbis({{"quality", "-0.1"}})->parameters().number("quality") == Approx(-0.1));
    CHECK(make_vorbis()->parameters().number("quality") == 0.5);
    CHECK(make_vorbis()->extension() == "ogg");
    CHECK(make_vorbis()->mime_type() == "audio/ogg");
}

TEST_CASE("vorbis_encoder rejects a channel count or rate Vorbis cannot carry, naming it", "[encoders]") {
    auto enc = make_vorbis();
    enc->set_sink(std::make_shared<memory_sink>());
    stream_info in;
    in.format = {44100, 300};
    try {
        enc->setup(in);
        FAIL("accepted 300 channels");
    } catch (const usage_error& e) {
        CHECK_THAT(e.what(), Catch::Contains("300"));
    }
    enc->abort();

    // A rate libvorbis has no setup for fails the run at setup, naming the rate.
    auto high = make_vorbis();
    high->set_sink(std::make_shared<memory_sink>());
    timeside::pipe p(array_decoder::from_samples(std::vector<float>(1000), 384000, 1));
    p.add(high);
    try {
        p.run();
        FAIL("accepted 384000 Hz");
    } catch (const usage_error& e) {
        CHECK_THAT(e.what(), Catch::Contains("384000 Hz"));
    }
}
