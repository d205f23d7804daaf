// vamp_analyzer through the registry: the reference host's block count at the stream's end,
// zero crossings against a direct count, onsets on noise bursts emitted as events while the
// stream runs, a stereo input mixed down, and bad parameter values refused.
#include <catch2/catch.hpp>

#include <cmath>

#include "analyzers/vamp/vamp_analyzer.hpp"
#include "core/errors.hpp"
#include "core/registry.hpp"

using namespace timeside;
using namespace timeside::vamp;

namespace {

// vamp-simple-host's read loop (SDK 2.10, runPlugin), transcribed for counting only: how many
// blocks it hands the plugin for `frames` frames.
int64_t host_loop_blocks(int64_t frames, int block, int step) {
    int final_steps = std::max(1, block / step - 1);
    int64_t read = 0, blocks = 0;
    for (int64_t current = 0;; ++current) {
        const int64_t want = (block == step || current == 0) ? block : step;
        const int64_t count = std::min(want, frames - read);
        read += count;
        if (count != want) --final_steps;
        ++blocks;
        if (final_steps <= 0) break;
    }
    return blocks;
}

bool have(const char* id) { return default_registry().find(id) != nullptr; }

std::shared_ptr<analyzer> make(const char* id, const raw_parameters& p = {}) {
    return std::dynamic_pointer_cast<analyzer>(get_processor(id, p));
}

// Feeds `samples` (interleaved) in blocks of 1000 frames.
void run(analyzer& a, const std::vector<float>& samples, int channels, int rate = 44100) {
    const int64_t frames = static_cast<int64_t>(samples.size()) / channels;
    a.setup(stream_info{.format = {rate, channels}, .total_frames = frames, .blocksize = 1000, .media = {}});
    for (int64_t at = 0; at < frames; at += 1000) {
        const int64_t n = std::min<int64_t>(1000, frames - at);
        a.process(block::make({rate, channels}, at,
                              std::vector<float>(samples.begin() + at * channels, samples.begin() + (at + n) * channels)));
    }
    a.finish();
}

// Noise bursts of 30 ms at `starts` (frames) over a -80 dB noise floor (percussiononsets compares
// each bin with the block before: digital silence gives it nothing to rise from), from a fixed
// linear congruential generator.
std::vector<float> bursts(const std::vector<int64_t>& starts, int64_t frames) {
    std::vector<float> x(static_cast<size_t>(frames));
    uint32_t seed = 12345;
    auto noise = [&] {
        seed = seed * 1664525u + 1013904223u;
        return static_cast<float>(seed >> 8) / 8388608.0f - 1.0f;
    };
    for (auto& v : x) v = 1e-4f * noise();
    for (int64_t s : starts)
        for (int64_t i = s; i < s + 1323 && i < frames; ++i) x[static_cast<size_t>(i)] = 0.8f * noise();
    return x;
}

}  // namespace

TEST_CASE("vamp: the block count at the end is the reference host's", "[vamp]") {
    for (int64_t frames : {0, 1, 700, 1023, 1024, 1025, 44032, 44100, 414540})
        for (auto [block, step] : {std::pair{1024, 1024}, {1024, 512}, {256, 64}, {2048, 256}, {1000, 300}}) {
            CAPTURE(frames, block, step);
            CHECK(reference_block_count(frames, block, step) == host_loop_blocks(frames, block, step));
        }
}

TEST_CASE("vamp: zero crossing counts equal a direct count, one row per reference block", "[vamp]") {
    REQUIRE(have("vamp_zerocrossing_counts"));  // vamp-examples is in the Makefile's DEBIAN_PACKAGES
    const int64_t frames = 10 * 1024 + 300;
    std::vector<float> x(frames);
    for (int64_t i = 0; i < frames; ++i) x[i] = static_cast<float>(std::sin(2 * M_PI * 441.0 * i / 44100) + 0.3);
    auto a = make("vamp_zerocrossing_counts");
    run(*a, x, 1);
    const auto& r = a->result("vamp_zerocrossing_counts");
    CHECK(dynamic_cast<vamp_analyzer&>(*a).timestamp_adjustment() == 0);  // time domain: no shift
    CHECK(r.tmode == time_mode::framewise);
    CHECK(r.frames.stepsize == 1024);
    REQUIRE(r.rows() == 11);  // ten whole blocks, the part-silent eleventh
    x.resize(11 * 1024, 0.0f);
    float prev = 0;
    for (size_t row = 0; row < 11; ++row) {
        int count = 0;
        for (size_t i = row * 1024; i < (row + 1) * 1024; ++i) {
            if ((x[i] > 0) != (prev > 0)) ++count;
            prev = x[i];
        }
        CAPTURE(row);
        CHECK(r.data.value[row] == count);
    }
}

TEST_CASE("vamp: onsets on noise bursts, emitted as events while the stream runs", "[vamp]") {
    REQUIRE(have("vamp_percussiononsets_onsets"));  // vamp-examples is in the Makefile's DEBIAN_PACKAGES
    const std::vector<int64_t> starts{20000, 50000, 83000, 120000};
    auto a = make("vamp_percussiononsets_onsets");
    std::vector<analysis_event> events;
    a->set_event_sink([&](const analysis_event& e) { events.push_back(e); });
    run(*a, bursts(starts, 150000), 1);
    const auto& r = a->result("vamp_percussiononsets_onsets");
    // A frequency-domain plugin: the input-domain adapter hands it block centres as timestamps.
    auto* v = dynamic_cast<vamp_analyzer*>(a.get());
    REQUIRE(v);
    CHECK(v->sizes().block == 1024);
    CHECK(v->sizes().step == 512);
    CHECK(v->timestamp_adjustment() == 512);
    CHECK(r.tmode == time_mode::event);
    CHECK(r.dmode == data_mode::label);
    CHECK(r.labels.label.at(0) == "Onsets");
    REQUIRE(r.data.time.size() == starts.size());
    REQUIRE(events.size() == starts.size());
    for (size_t i = 0; i < starts.size(); ++i) {
        CAPTURE(i, events[i].frame, starts[i]);
        CHECK(events[i].result_id == "vamp_percussiononsets_onsets");
        CHECK(std::llabs(events[i].frame - starts[i]) <= 1024);
        CHECK(events[i].label == 0);
        CHECK(r.data.time[i] == static_cast<double>(events[i].frame) / 44100);
    }
}

TEST_CASE("vamp: a stereo input is mixed down for a mono plugin (the channel adapter's mean)", "[vamp]") {
    REQUIRE(have("vamp_zerocrossing_counts"));  // vamp-examples is in the Makefile's DEBIAN_PACKAGES
    // Left +1, right -0.5: the mean is positive; left and right alone cross nowhere.
    std::vector<float> stereo;
    std::vector<float> mono;
    for (int i = 0; i < 4096; ++i) {
        const float l = (i / 100) % 2 ? 1.0f : -0.2f, rr = -0.5f;
        stereo.push_back(l);
        stereo.push_back(rr);
        mono.push_back((l + rr) / 2);
    }
    auto s = make("vamp_zerocrossing_counts"), m = make("vamp_zerocrossing_counts");
    run(*s, stereo, 2);
    run(*m, mono, 1);
    CHECK(s->result("vamp_zerocrossing_counts").data.value == m->result("vamp_zerocrossing_counts").data.value);
    CHECK(s->result("vamp_zerocrossing_counts").data.value[0] > 0);
}

TEST_CASE("vamp: bad parameter values are refused naming the parameter", "[vamp]") {
    REQUIRE(have("vamp_percussiononsets_onsets"));  // vamp-examples is in the Makefile's DEBIAN_PACKAGES
    CHECK_THROWS_WITH(make("vamp_percussiononsets_onsets", {{"threshold", std::string("50")}}),
                      Catch::Contains("threshold"));
    CHECK_THROWS_AS(make("vamp_percussiononsets_onsets", {{"no_such", std::string("1")}}), usage_error);
    CHECK_THROWS_AS(make("vamp_percussiononsets_onsets", {{"input_stepsize", std::string("0")}}), usage_error);
}
