// waveform_data through a real pipe: the .dat is parsed byte by byte here, against audiowaveform's
// published layout, and its points are compared with min/max computed in the test from the 16-bit
// PCM that was fed in (mixdown = the channels' sum divided by their count, truncated).
#include "../array_source.hpp"
#include "graphers/waveform_data.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <vector>

#include "../test_support.hpp"
#include "core/errors.hpp"
#include "core/pipe.hpp"
#include "core/registry.hpp"
#include "decoders/array_decoder.hpp"

using namespace timeside;

namespace {

constexpr int rate = 44100;

std::shared_ptr<waveform_data> make_grapher(const raw_parameters& params = {}) {
    return get_processor_as<waveform_data>("waveform_data", params);
}

std::vector<float> to_float(const std::vector<int16_t>& pcm) {
    std::vector<float> out(pcm.size());
    for (size_t i = 0; i < pcm.size(); ++i) out[i] = static_cast<float>(pcm[i]) / 32768.0f;
    return out;
}

std::vector<unsigned char> render(std::vector<float> samples, int channels, const raw_parameters& params,
                                  bool known_length = true, int samplerate = rate, int blocksize = 4096) {
    auto g = make_grapher(params);
    auto d = test::make_source(std::move(samples), channels, known_length, samplerate, blocksize);
    timeside::pipe p(d);
    p.add(g);
    p.run();
    return g->render_bytes();
}

// The .dat as audiowaveform's DataFormat.md lays it out, read without the project's code.
struct dat_file {
    int32_t version = 0, sample_rate = 0, samples_per_pixel = 0, channels = 0;
    uint32_t flags = 0, length = 0;
    size_t header_size = 0;
    std::vector<int> values;  // per pixel, per channel: min, max
};

uint32_t le32(const std::vector<unsigned char>& b, size_t at) {
    return uint32_t{b.at(at)} | uint32_t{b.at(at + 1)} << 8 | uint32_t{b.at(at + 2)} << 16 |
           uint32_t{b.at(at + 3)} << 24;
}

dat_file parse_dat(const std::vector<unsigned char>& b) {
    dat_file d;
    d.version = static_cast<int32_t>(le32(b, 0));
    d.flags = le32(b, 4);
    d.sample_rate = static_cast<int32_t>(le32(b, 8));
    d.samples_per_pixel = static_cast<int32_t>(le32(b, 12));
    d.length = le32(b, 16);
    d.channels = d.version == 2 ? static_cast<int32_t>(le32(b, 20)) : 1;
    d.header_size = d.version == 2 ? 24 : 20;
    const bool eight = (d.flags & 1u) != 0;
    for (size_t at = d.header_size; at < b.size(); at += eight ? 1 : 2) {
        if (eight)
            d.values.push_back(static_cast<int8_t>(b[at]));
        else
            d.values.push_back(static_cast<int16_t>(static_cast<uint16_t>(b[at] | b.at(at + 1) << 8)));
    }
    return d;
}

// Min/max of each pixel of `spp` frames of [first, end), from the 16-bit PCM: the mono mixdown
// (truncated mean) or every channel; 8 bits: the 16-bit value / 256, truncated toward zero.
std::vector<int> expected_points(const std::vector<int16_t>& pcm, int channels, int64_t spp, bool split, int bits,
                                 int64_t first = 0, int64_t end = -1) {
    const auto frames = static_cast<int64_t>(pcm.size()) / channels;
    if (end < 0 || end > frames) end = frames;
    const int outs = split ? channels : 1;
    std::vector<int> out;
    for (int64_t a = first; a < end; a += spp) {
        const int64_t b = std::min(a + spp, end);
        for (int c = 0; c < outs; ++c) {
            double lo = std::numeric_limits<double>::infinity(), hi = -lo;
            for (int64_t i = a; i < b; ++i) {
                double v;
                if (split) {
                    v = pcm[static_cast<size_t>(i * channels + c)];
                } else {
                    double sum = 0;
                    for (int k = 0; k < channels; ++k) sum += pcm[static_cast<size_t>(i * channels + k)];
                    v = std::trunc(sum / channels);
                }
                lo = std::min(lo, v);
                hi = std::max(hi, v);
            }
            for (double v : {lo, hi}) out.push_back(static_cast<int>(bits == 8 ? std::trunc(v / 256) : v));
        }
    }
    return out;
}

std::vector<int> json_points(const std::vector<unsigned char>& bytes, nlohmann::json* whole = nullptr) {
    auto j = nlohmann::json::parse(bytes.begin(), bytes.end());
    if (whole) *whole = j;
    return j.at("data").get<std::vector<int>>();
}

}  // namespace

TEST_CASE("waveform_data is registered, writes .dat by default and .json on request", "[graphers][waveform_data]") {
    auto p = get_processor("waveform_data");
    CHECK(p->kind() == processor_kind::grapher);
    auto g = std::dynamic_pointer_cast<grapher>(p);
    REQUIRE(g);
    CHECK(g->extension() == "dat");
    CHECK(g->media_type() == "application/octet-stream");
    CHECK(make_grapher(parse_kv_list("zoom=256"))->samples_per_pixel() == 256);
    CHECK(make_grapher()->samples_per_pixel() == 256);  // audiowaveform's default zoom
    auto j = make_grapher(parse_kv_list("format=json"));
    CHECK(j->extension() == "json");
    CHECK(j->media_type() == "application/json");
}

TEST_CASE("waveform_data rejects bad parameters, naming them and their range", "[graphers][waveform_data]") {
    auto fails_with = [](const char* kv, std::vector<std::string> words) {
        INFO(kv);
        try {
            make_grapher(parse_kv_list(kv));
            FAIL("accepted");
        } catch (const usage_error& e) {
            for (const auto& w : words) CHECK_THAT(e.what(), Catch::Contains(w));
        }
    };
    fails_with("zoom=1", {"zoom", "2 to 2147483647"});
    fails_with("zoom=0", {"zoom", "2 to"});
    fails_with("bits=12", {"bits", "8, 16"});
    fails_with("format=wav", {"format", "dat, json"});
    fails_with("pixels_per_second=0", {"pixels_per_second", "1 to"});
    fails_with("zoom=512,pixels_per_second=100", {"zoom", "pixels_per_second"});
    fails_with("start=2,end=1", {"end=1", "start=2"});
    fails_with("start=1,end=1", {"end", "start"});
    fails_with("end=0", {"end", "start"});
    fails_with("start=-1", {"start", "0 to"});
    fails_with("split_channels=maybe", {"split_channels"});

    // Too many pixels per second for the stream's rate: fewer than 2 samples per pixel.
    auto g = make_grapher(parse_kv_list("pixels_per_second=30000"));
    timeside::pipe p(array_decoder::from_samples(test::sine(440, rate, 1000), rate, 1));
    p.add(g);
    CHECK_THROWS_AS(p.run(), usage_error);
    auto g2 = make_grapher(parse_kv_list("pixels_per_second=30000"));
    timeside::pipe p2(array_decoder::from_samples(test::sine(440, rate, 1000), rate, 1));
    p2.add(g2);
    CHECK_THROWS_WITH(p2.run(), Catch::Contains("pixels_per_second") && Catch::Contains("1 to 22050"));
    // A start past a known end.
    auto g3 = make_grapher(parse_kv_list("start=5"));
    timeside::pipe p3(array_decoder::from_samples(test::sine(440, rate, rate), rate, 1));
    p3.add(g3);
    CHECK_THROWS_WITH(p3.run(), Catch::Contains("start=5") && Catch::Contains("1.000 s"));
}

TEST_CASE("waveform_data's mono .dat header is audiowaveform's version 1", "[graphers][waveform_data]") {
    const int64_t frames = 10 * 300 + 7;
    auto bytes = render(test::sine(440, rate, frames, 2, 0.5), 2, parse_kv_list("zoom=300"));
    auto d = parse_dat(bytes);
    CHECK(d.version == 1);
    CHECK(d.flags == 0);  // 16-bit
    CHECK(d.sample_rate == rate);
    CHECK(d.samples_per_pixel == 300);
    CHECK(d.length == 11);  // ten whole pixels and the partial one, kept
    CHECK(d.header_size == 20);
    CHECK(bytes.size() == 20 + 11 * 2 * 2);

    auto eight = parse_dat(render(test::sine(440, rate, frames, 1, 0.5), 1, parse_kv_list("zoom=300,bits=8")));
    CHECK(eight.version == 1);
    CHECK(eight.flags == 1);
    CHECK(eight.values.size() == 11 * 2);
}

TEST_CASE("waveform_data's split channels .dat is version 2, channels at byte 20", "[graphers][waveform_data]") {
    auto bytes = render(test::sine(440, rate, 1000, 3, 0.5), 3, parse_kv_list("zoom=100,split_channels=true"));
    auto d = parse_dat(bytes);
    CHECK(d.version == 2);
    CHECK(d.channels == 3);
    CHECK(d.length == 10);
    CHECK(bytes.size() == 24 + 10 * 3 * 2 * 2);
    // Split channels of a mono stream: one channel, hence version 1, as audiowaveform does.
    auto mono = parse_dat(render(test::sine(440, rate, 1000, 1, 0.5), 1, parse_kv_list("zoom=100,split_channels=true")));
    CHECK(mono.version == 1);
    CHECK(mono.length == 10);
}

TEST_CASE("waveform_data's points are the min/max of the PCM, at 16 and 8 bits", "[graphers][waveform_data]") {
    const int64_t frames = 50 * 441 + 123;  // the last pixel holds 123 frames
    for (int channels : {1, 2, 3}) {
        const auto pcm = test::pcm16_signal(frames, channels);
        for (bool split : {false, true}) {
            for (int bits : {16, 8}) {
                INFO("channels " << channels << " split " << split << " bits " << bits);
                raw_parameters params = parse_kv_list("pixels_per_second=100");
                params.emplace_back("bits", int64_t{bits});
                params.emplace_back("split_channels", split);
                auto d = parse_dat(render(to_float(pcm), channels, params));
                CHECK(d.samples_per_pixel == 441);
                CHECK(d.length == 51);
                CHECK(d.values == expected_points(pcm, channels, 441, split, bits));
            }
        }
    }
}

TEST_CASE("waveform_data's mixdown truncates the mean toward zero, as audiowaveform", "[graphers][waveform_data]") {
    // Frames whose channel sums are odd, both signs: -3 / 2 is -1, not -2; 8 bits: -255 / 256 is 0.
    const std::vector<int16_t> pcm = {-1, -2, 1, 2, -255, -256, 255, 256, -32768, -32767, 32767, 32766};
    auto d = parse_dat(render(to_float(pcm), 2, parse_kv_list("zoom=2")));
    CHECK(d.values == std::vector<int>{-1, 1, -255, 255, -32767, 32766});
    CHECK(d.values == expected_points(pcm, 2, 2, false, 16));
    auto e = parse_dat(render(to_float(pcm), 2, parse_kv_list("zoom=2,bits=8")));
    CHECK(e.values == std::vector<int>{0, 0, 0, 0, -127, 127});
}

TEST_CASE("waveform_data clips beyond full scale and reads NaN as silence", "[graphers][waveform_data]") {
    auto d = parse_dat(render(test::sine(50, rate, 4410, 1, 1.5), 1, parse_kv_list("zoom=4410")));
    CHECK(d.values == std::vector<int>{-32768, 32767});
    std::vector<float> nan(100, std::numeric_limits<float>::quiet_NaN());
    auto n = parse_dat(render(nan, 1, parse_kv_list("zoom=50")));
    CHECK(n.values == std::vector<int>{0, 0, 0, 0});
}

TEST_CASE("waveform_data's .json holds the same points as its .dat, in audiowaveform's layout", "[graphers][waveform_data]") {
    const auto pcm = test::pcm16_signal(7 * 512 + 5, 2);
    for (bool split : {false, true}) {
        for (int bits : {16, 8}) {
            INFO("split " << split << " bits " << bits);
            raw_parameters params = {{"bits", int64_t{bits}}, {"split_channels", split}, {"zoom", int64_t{512}}};
            auto dat = parse_dat(render(to_float(pcm), 2, params));
            params.emplace_back("format", "json");
            auto bytes = render(to_float(pcm), 2, params);
            nlohmann::json j;
            CHECK(json_points(bytes, &j) == dat.values);
            CHECK(j.at("version") == 2);  // even for one channel, as audiowaveform writes it
            CHECK(j.at("channels") == (split ? 2 : 1));
            CHECK(j.at("sample_rate") == rate);
            CHECK(j.at("samples_per_pixel") == 512);
            CHECK(j.at("bits") == bits);
            CHECK(j.at("length") == 8);
            const std::string text(bytes.begin(), bytes.end());
            CHECK(text.starts_with("{\"version\":2,\"channels\":"));
            CHECK(text.find(",\"sample_rate\":44100,\"samples_per_pixel\":512,") != std::string::npos);
            CHECK(text.ends_with("]}\n"));
        }
    }
}

TEST_CASE("waveform_data's start and end select frames round(start*rate) to round(end*rate)", "[graphers][waveform_data]") {
    const int sr = 8000;
    const auto pcm = test::pcm16_signal(3 * sr, 2);
    auto d = parse_dat(render(to_float(pcm), 2, parse_kv_list("zoom=100,start=0.5,end=1.2505"), true, sr, 1000));
    CHECK(d.length == 61);  // frames 4000 to 10004: 60 pixels and 4 frames
    CHECK(d.values == expected_points(pcm, 2, 100, false, 16, 4000, 10004));
    // start alone: to the stream's end; end past the stream's end: where the stream ends.
    auto s = parse_dat(render(to_float(pcm), 2, parse_kv_list("zoom=100,start=2.99,split_channels=true"), true, sr));
    CHECK(s.values == expected_points(pcm, 2, 100, true, 16, 23920));
    auto e = parse_dat(render(to_float(pcm), 2, parse_kv_list("zoom=100,end=10"), true, sr));
    CHECK(e.length == 240);
    CHECK(e.values == expected_points(pcm, 2, 100, false, 16));
}

TEST_CASE("waveform_data gives the same bytes whether the length is known or not", "[graphers][waveform_data]") {
    const auto pcm = test::pcm16_signal(rate + 77, 2);
    for (const char* kv : {"zoom=333", "zoom=333,split_channels=true,bits=8", "pixels_per_second=7,start=0.1"}) {
        INFO(kv);
        auto known = render(to_float(pcm), 2, parse_kv_list(kv), true, rate, 1000);
        auto unknown = render(to_float(pcm), 2, parse_kv_list(kv), false, rate, 1000);
        CHECK(known == unknown);
        CHECK(parse_dat(unknown).length > 0);
    }
}

TEST_CASE("waveform_data's pixels are final as soon as they are complete", "[graphers][waveform_data]") {
    const auto pcm = test::pcm16_signal(1000, 1);
    auto g = make_grapher(parse_kv_list("zoom=300"));
    stream_info s;
    s.format = {rate, 1};
    s.blocksize = 650;
    g->setup(s);
    const auto samples = to_float(pcm);
    g->process(block::make(s.format, 0, std::vector<float>(samples.begin(), samples.begin() + 650)));
    auto mid = parse_dat(g->render_bytes());
    CHECK(mid.length == 2);  // frames 0-599; the third pixel is not complete yet
    CHECK(mid.values == expected_points(pcm, 1, 300, false, 16, 0, 600));
    g->process(block::make(s.format, 650, std::vector<float>(samples.begin() + 650, samples.end())));
    g->finish();
    auto done = parse_dat(g->render_bytes());
    CHECK(done.length == 4);
    CHECK(done.values == expected_points(pcm, 1, 300, false, 16));
}

TEST_CASE("waveform_data takes float samples to 16 bits as lrintf and FFmpeg do", "[graphers][waveform_data]") {
    // The reference: libm's lrintf of x * 32768 (nearest, ties to even), clipped to 16 bits; every
    // half step from beyond -full scale to beyond +full scale, so each tie is met.
    auto reference = [](float x) {
        return static_cast<int>(std::clamp(std::lrintf(x * 32768.0f), -32768L, 32767L));
    };
    int mismatches = 0;
    for (int k = -2 * 40000; k <= 2 * 40000; ++k) {
        const float x = static_cast<float>(k) / 65536.0f;
        if (waveform_data::to_int16(x) != reference(x)) ++mismatches;
    }
    uint32_t state = 7;
    for (int i = 0; i < 100000; ++i) {
        state = state * 1664525u + 1013904223u;
        const float x = (static_cast<float>(state >> 8) / 16777216.0f - 0.5f) * 2.2f;
        if (waveform_data::to_int16(x) != reference(x)) ++mismatches;
    }
    CHECK(mismatches == 0);
    CHECK(waveform_data::to_int16(1.5f / 32768) == 2);
    CHECK(waveform_data::to_int16(2.5f / 32768) == 2);
    CHECK(waveform_data::to_int16(-0.5f / 32768) == 0);
    CHECK(waveform_data::to_int16(1.0f) == 32767);
    CHECK(waveform_data::to_int16(-1.0f) == -32768);
    CHECK(waveform_data::to_int16(std::numeric_limits<float>::infinity()) == 32767);
    CHECK(waveform_data::to_int16(-std::numeric_limits<float>::infinity()) == -32768);
    CHECK(waveform_data::to_int16(std::numeric_limits<float>::quiet_NaN()) == 0);
}
