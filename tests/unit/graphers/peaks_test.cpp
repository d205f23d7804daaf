// peaks: the column min/max accumulator, checked against min/max computed directly from the
// samples, in known-length mode, in unknown-length (doubling) mode and across block splits.
#include "graphers/peaks.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

using timeside::peaks;

namespace {

std::vector<float> noise(int64_t frames, int channels, unsigned seed) {
    std::mt19937 gen(seed);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    std::vector<float> out(static_cast<size_t>(frames * channels));
    for (auto& v : out) v = dist(gen);
    return out;
}

// The mean of each frame's channels, in double, rounded once: independent of the code under test.
std::vector<float> mono(const std::vector<float>& s, int channels) {
    std::vector<float> out(s.size() / static_cast<size_t>(channels));
    for (size_t i = 0; i < out.size(); ++i) {
        double sum = 0;
        for (int c = 0; c < channels; ++c)
            sum += s[i * static_cast<size_t>(channels) + static_cast<size_t>(c)];
        out[i] = static_cast<float>(sum / channels);
    }
    return out;
}

struct columns {
    std::vector<float> lo, hi;
};

// Column x over mono frames [begin(x), end(x)).
template <class Range>
columns expected(const std::vector<float>& m, int n, Range range) {
    columns c;
    for (int x = 0; x < n; ++x) {
        auto [b, e] = range(x);
        e = std::min<int64_t>(e, static_cast<int64_t>(m.size()));
        if (b >= e) {
            c.lo.push_back(0), c.hi.push_back(0);
            continue;
        }
        auto [lo, hi] = std::minmax_element(m.begin() + b, m.begin() + e);
        c.lo.push_back(*lo), c.hi.push_back(*hi);
    }
    return c;
}

columns known_expected(const std::vector<float>& m, int width) {
    const auto total = static_cast<int64_t>(m.size());
    return expected(m, width, [&](int x) {
        return std::pair<int64_t, int64_t>{x * total / width, (x + 1) * total / width};
    });
}

// Feeds in blocks of varying sizes (1 frame, odd sizes, big ones) to exercise column boundaries
// that fall inside blocks and blocks that fall inside columns.
void feed(peaks& p, const std::vector<float>& s, int channels, unsigned seed = 7) {
    std::mt19937 gen(seed);
    std::uniform_int_distribution<int64_t> size(1, 5000);
    const int64_t frames = static_cast<int64_t>(s.size()) / channels;
    for (int64_t pos = 0; pos < frames;) {
        const int64_t n = std::min(frames - pos, size(gen));
        p.add(std::span<const float>(s.data() + pos * channels, static_cast<size_t>(n * channels)), channels);
        pos += n;
    }
}

void check_equal(const peaks& p, const columns& c) {
    REQUIRE(p.size() == static_cast<int>(c.lo.size()));
    for (size_t x = 0; x < c.lo.size(); ++x) {
        INFO("column " << x);
        CHECK(p.mins()[x] == Approx(c.lo[x]).margin(1e-6));
        CHECK(p.maxs()[x] == Approx(c.hi[x]).margin(1e-6));
    }
}

}  // namespace

TEST_CASE("peaks with a known length gives each column the min and max of exactly its frames", "[graphers]") {
    for (int channels : {1, 2, 3}) {
        for (auto [frames, width] :
             {std::pair<int64_t, int>{100000, 1024}, {44100, 333}, {5000, 1}, {1024, 1024}}) {
            INFO(channels << " channels, " << frames << " frames, width " << width);
            const auto s = noise(frames, channels, 42);
            peaks p(width, frames);
            feed(p, s, channels);
            p.finish();
            CHECK_FALSE(p.growing());
            CHECK(p.frames() == frames);
            check_equal(p, known_expected(mono(s, channels), width));
        }
    }
}

TEST_CASE("peaks mixes channels down to their mean", "[graphers]") {
    // Left and right in opposition cancel: the columns are silence.
    std::vector<float> s;
    for (int i = 0; i < 4000; ++i) {
        const float v = std::sin(static_cast<float>(i) * 0.1f);
        s.push_back(v), s.push_back(-v);
    }
    peaks p(100, 4000);
    p.add(s, 2);
    for (int x = 0; x < p.size(); ++x) {
        CHECK(p.mins()[x] == 0.0f);
        CHECK(p.maxs()[x] == 0.0f);
    }
}

TEST_CASE("peaks of unknown length equal the known-length columns for a power-of-two multiple of the width",
          "[graphers]") {
    for (int width : {1024, 100, 1}) {
        for (int64_t k : {1, 2, 16, 64}) {
            const int64_t frames = width * k;
            INFO("width " << width << ", " << frames << " frames");
            const auto s = noise(frames, 2, 3);
            peaks unknown(width, -1), known(width, frames);
            feed(unknown, s, 2, 11);
            feed(known, s, 2, 12);
            CHECK(unknown.growing());
            CHECK(unknown.span() == k);
            REQUIRE(unknown.size() == width);
            check_equal(unknown, known_expected(mono(s, 2), width));
        }
    }
}

TEST_CASE("peaks of unknown length fit the width for any length, each column its span of frames",
          "[graphers]") {
    for (int width : {1024, 333, 7, 1}) {
        for (int64_t frames : {0, 1, 5, 332, 333, 334, 1023, 1025, 48000, 123457}) {
            INFO("width " << width << ", " << frames << " frames");
            const auto s = noise(frames, 1, 5);
            peaks p(width);
            feed(p, s, 1);
            CHECK(p.size() <= width);
            if (frames >= width) CHECK(p.size() >= width / 2);
            if (frames < width) CHECK(p.size() == frames);
            const int64_t span = p.span();
            // An odd width leaves one half-merged column: it holds what its span says anyway.
            check_equal(p, expected(mono(s, 1), p.size(), [&](int x) {
                            return std::pair<int64_t, int64_t>{x * span, (x + 1) * span};
                        }));
        }
    }
}

TEST_CASE("peaks fit() stretches unknown-length columns to any output width", "[graphers]") {
    peaks p(8);
    const std::vector<float> s{0.1f, 0.2f, -0.3f, 0.4f};  // four columns of one frame
    p.add(s, 1);
    std::vector<float> lo(8), hi(8);
    p.fit(lo, hi);
    CHECK(hi == std::vector<float>{0.1f, 0.1f, 0.2f, 0.2f, -0.3f, -0.3f, 0.4f, 0.4f});
    std::vector<float> lo2(2), hi2(2);
    p.fit(lo2, hi2);
    CHECK(lo2 == std::vector<float>{0.1f, -0.3f});
    CHECK(hi2 == std::vector<float>{0.2f, 0.4f});
}

TEST_CASE("peaks with a known length shorter than the width leaves empty columns, which fit() fills",
          "[graphers]") {
    peaks p(10, 3);
    const std::vector<float> s{0.5f, -0.25f, 0.75f};
    p.add(s, 1);
    REQUIRE(p.size() == 10);
    // Columns covering no frame read 0; x covers [x*3/10, (x+1)*3/10).
    CHECK(std::vector<float>(p.maxs().begin(), p.maxs().end()) ==
          std::vector<float>{0, 0, 0, 0.5f, 0, 0, -0.25f, 0, 0, 0.75f});
    std::vector<float> lo(10), hi(10);
    p.fit(lo, hi);
    CHECK(hi == std::vector<float>{0.5f, 0.5f, 0.5f, 0.5f, -0.25f, -0.25f, -0.25f, 0.75f, 0.75f, 0.75f});
}

TEST_CASE("peaks survives a stream longer than announced by falling back to doubling spans", "[graphers]") {
    for (int64_t announced : {0, 50, 1000}) {
        INFO("announced " << announced);
        const auto s = noise(10000, 1, 9);
        peaks p(100, announced);
        feed(p, s, 1);
        p.finish();
        CHECK(p.growing());
        CHECK(p.size() <= 100);
        CHECK(p.size() >= 50);
        CHECK(p.frames() == 10000);
        const auto m = mono(s, 1);
        CHECK(*std::min_element(p.mins().begin(), p.mins().end()) == *std::min_element(m.begin(), m.end()));
        CHECK(*std::max_element(p.maxs().begin(), p.maxs().end()) == *std::max_element(m.begin(), m.end()));
    }
}

TEST_CASE("peaks of a stream shorter than announced stretch what arrived once finished", "[graphers]") {
    peaks p(4, 8);
    const std::vector<float> s{0.5f, 0.5f, -0.5f, -0.5f};  // half of the announced length
    p.add(s, 1);
    std::vector<float> lo(4), hi(4);
    p.fit(lo, hi);
    CHECK(hi == std::vector<float>{0.5f, -0.5f, 0, 0});  // in place while it may still come
    p.finish();
    p.fit(lo, hi);
    CHECK(hi == std::vector<float>{0.5f, 0.5f, -0.5f, -0.5f});
}

TEST_CASE("peaks skips NaN frames and reads all zeros with no data", "[graphers]") {
    peaks p(2, 4);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const std::vector<float> s{nan, 0.5f, nan, nan};
    p.add(s, 1);
    CHECK(p.maxs()[0] == 0.5f);
    CHECK(p.mins()[0] == 0.5f);
    CHECK(p.maxs()[1] == 0.0f);  // nothing but NaN: silence

    peaks empty(16);
    std::vector<float> lo(5, 1), hi(5, 1);
    empty.fit(lo, hi);
    CHECK(lo == std::vector<float>(5, 0.0f));
    CHECK(hi == std::vector<float>(5, 0.0f));
}

TEST_CASE("one channel of interleaved frames is accumulated alone when asked", "[graphers][peaks]") {
    const int channels = 3;
    const int64_t frames = 10007;
    const auto s = noise(frames, channels, 11);
    for (int c = 0; c < channels; ++c) {
        peaks p(64, frames);
        // in uneven blocks, so a column spans two of them
        for (int64_t at = 0; at < frames; at += 997) {
            const int64_t n = std::min<int64_t>(997, frames - at);
            p.add({s.data() + at * channels, static_cast<size_t>(n * channels)}, channels, c);
        }
        REQUIRE(p.size() == 64);
        for (int x = 0; x < 64; ++x) {
            const int64_t begin = x * frames / 64, end = (x + 1) * frames / 64;
            float lo = 1, hi = -1;
            for (int64_t i = begin; i < end; ++i) {
                const float v = s[static_cast<size_t>(i * channels + c)];
                lo = std::min(lo, v), hi = std::max(hi, v);
            }
            CHECK(p.mins()[static_cast<size_t>(x)] == lo);
            CHECK(p.maxs()[static_cast<size_t>(x)] == hi);
        }
    }
    peaks p(4, 4);
    CHECK_THROWS_AS(p.add(s, channels, 3), std::invalid_argument);
}
