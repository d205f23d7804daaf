// The re-blocking adapter: windows of blocksize every stepsize frames, whatever the input block
// sizes, zero-padded at the end, optionally mixed to mono.
#include <catch2/catch.hpp>

#include <numeric>

#include "core/frame_adapter.hpp"

using namespace timeside;

namespace {
// Feeds 0, 1, 2, ... (one value per frame, on every channel) in blocks of the given sizes.
std::vector<std::pair<int64_t, std::vector<float>>> windows_of(int64_t total, int channels, int bs, int step,
                                                               bool mono, int64_t in_block) {
    frame_adapter a(channels, bs, step, mono);
    std::vector<std::pair<int64_t, std::vector<float>>> out;
    auto fn = [&](std::span<const float> w, int64_t first) { out.emplace_back(first, std::vector<float>(w.begin(), w.end())); };
    for (int64_t pos = 0; pos < total; pos += in_block) {
        int64_t n = std::min(in_block, total - pos);
        std::vector<float> s(static_cast<size_t>(n * channels));
        for (int64_t i = 0; i < n; ++i)
            for (int c = 0; c < channels; ++c) s[i * channels + c] = static_cast<float>(pos + i) * (c + 1);
        a.push(*block::make({8000, channels}, pos, std::move(s)), fn);
    }
    a.flush(fn);
    return out;
}
}  // namespace

TEST_CASE("windows start every hop and hold the right frames for any input block size", "[core][adapter]") {
    for (int64_t in_block : {1, 7, 100, 4096}) {
        auto w = windows_of(1000, 1, 256, 128, false, in_block);
        // Windows start at 0, 128, ..., 896: every start before the end.
        REQUIRE(w.size() == 8);
        for (size_t k = 0; k < w.size(); ++k) {
            CHECK(w[k].first == static_cast<int64_t>(k) * 128);
            for (size_t i = 0; i < 256; ++i) {
                int64_t frame = w[k].first + static_cast<int64_t>(i);
                float expected = frame < 1000 ? static_cast<float>(frame) : 0.0f;  // zero padding
                if (w[k].second[i] != expected) FAIL("window " << k << " frame " << i << " in_block " << in_block);
            }
        }
    }
}

TEST_CASE("mono mixdown averages the channels", "[core][adapter]") {
    auto w = windows_of(64, 2, 32, 32, true, 10);
    REQUIRE(w.size() == 2);
    // channel 0 holds f, channel 1 holds 2f: the average is 1.5 f.
    CHECK(w[1].second[5] == Approx(1.5 * 37));
}

TEST_CASE("a hop longer than the window skips the frames between windows", "[core][adapter]") {
    auto w = windows_of(100, 1, 10, 25, false, 3);
    REQUIRE(w.size() == 4);
    CHECK(w[1].first == 25);
    CHECK(w[1].second[0] == 25.0f);
    CHECK(w[3].second[9] == 84.0f);
}

TEST_CASE("interleaved channels are kept in order when not mixing", "[core][adapter]") {
    auto w = windows_of(10, 2, 4, 4, false, 3);
    REQUIRE(w.size() == 3);
    CHECK(w[1].second == std::vector<float>{4, 8, 5, 10, 6, 12, 7, 14});
    CHECK(w[2].second == std::vector<float>{8, 16, 9, 18, 0, 0, 0, 0});
}
