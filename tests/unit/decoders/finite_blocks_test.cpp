// Blocks are finite whatever a decoder was given: NaN becomes 0, +-Inf becomes +-1.0 (full
// scale), and the block says how many it replaced.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "core/block.hpp"
#include "decoders/array_decoder.hpp"

using namespace timeside;

namespace {
constexpr float nan_value = std::numeric_limits<float>::quiet_NaN();
constexpr float inf = std::numeric_limits<float>::infinity();
}  // namespace

TEST_CASE("a block replaces NaN by 0 and +-Inf by +-1 and counts them", "[decoders][finite]") {
    auto b = block::make({44100, 2}, 0, {0.25f, nan_value, inf, -inf, -0.5f, std::numeric_limits<float>::signaling_NaN()});
    CHECK(b->replaced() == 4);
    const std::vector<float> expected{0.25f, 0.0f, 1.0f, -1.0f, -0.5f, 0.0f};
    CHECK(std::vector<float>(b->samples().begin(), b->samples().end()) == expected);
}

TEST_CASE("a block of finite samples keeps them bit for bit, extremes included", "[decoders][finite]") {
    const std::vector<float> s{std::numeric_limits<float>::max(), -std::numeric_limits<float>::max(),
                               std::numeric_limits<float>::denorm_min(), -0.0f, 3.5f};
    auto b = block::make({8000, 1}, 7, s);
    CHECK(b->replaced() == 0);
    CHECK(std::vector<float>(b->samples().begin(), b->samples().end()) == s);
    CHECK(std::signbit(b->samples()[3]));
}

TEST_CASE("every block a decoder delivers is finite", "[decoders][finite]") {
    std::vector<float> s(3000, 0.5f);
    s[10] = nan_value;
    s[1500] = -inf;
    s[2999] = inf;
    auto d = array_decoder::from_samples(s, 16000, 1, 1024);
    d->open();
    int64_t replaced = 0;
    while (auto b = d->read()) {
        replaced += b->replaced();
        for (float x : b->samples()) CHECK(std::isfinite(x));
    }
    CHECK(replaced == 3);
}
