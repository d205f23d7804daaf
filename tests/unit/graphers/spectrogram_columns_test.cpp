// spectrogram_columns on its own: which frames it schedules and which column each lands in,
// checked against the column boundaries computed here from the definitions (known length:
// [floor(x*T/W), floor((x+1)*T/W)); unknown length: [x*span, (x+1)*span), span a power of two).
#include "graphers/spectrogram_columns.hpp"

#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdint>
#include <map>
#include <vector>

using namespace timeside;

namespace {

// Feeds frames whose single row holds their own centre, for every centre before `frames`;
// returns the centres in order.
std::vector<int64_t> feed(spectrogram_columns& c, int64_t frames) {
    std::vector<int64_t> centres;
    while (c.next_centre() < frames) {
        const int64_t centre = c.next_centre();
        centres.push_back(centre);
        const float v = static_cast<float>(centre);
        c.add(std::span<const float>(&v, 1));
    }
    return centres;
}

std::vector<int> fitted(const spectrogram_columns& c, int n) {
    std::vector<int> out(static_cast<size_t>(n));
    c.fit(out);
    return out;
}

}  // namespace

TEST_CASE("spectrogram_columns puts every frame in the column covering its centre (known length)",
          "[graphers][spectrogram]") {
    for (int64_t total : {int64_t{1000}, int64_t{1023}, int64_t{64 * 1000 + 7}, int64_t{10'000'000}}) {
        INFO("total " << total);
        const int w = 64, max_hop = 2048;
        spectrogram_columns c(w, 1, total, max_hop);
        const int64_t hop = std::clamp<int64_t>(total / w, 1, max_hop);
        CHECK(c.hop() == hop);
        const auto centres = feed(c, total);
        CHECK(static_cast<int64_t>(centres.size()) == (total + hop - 1) / hop);
        // Expected means: column x holds the frames from floor(x*T/W) to floor((x+1)*T/W).
        std::map<int64_t, std::pair<double, int>> expect;
        for (int64_t centre : centres) {
            int64_t x = 0;
            while (centre >= (x + 1) * total / w) ++x;
            expect[x].first += static_cast<double>(centre);
            ++expect[x].second;
        }
        CHECK(expect.size() == static_cast<size_t>(w));  // every column got a frame
        for (const auto& [x, e] : expect)
            CHECK(c.mean(static_cast<int>(x), 0) == Approx(e.first / e.second).epsilon(1e-6));
        const auto shown = fitted(c, w);
        for (int x = 0; x < w; ++x) CHECK(shown[static_cast<size_t>(x)] == x);
    }
}

TEST_CASE("spectrogram_columns never analyses audio more than twice: the hop stops at max_hop",
          "[graphers][spectrogram]") {
    spectrogram_columns c(100, 3, 100 * 50'000, 2048);
    CHECK(c.hop() == 2048);
    spectrogram_columns shorter(100, 3, 100 * 500, 2048);
    CHECK(shorter.hop() == 500);
}

TEST_CASE("spectrogram_columns of unknown length doubles its span and stays within the width",
          "[graphers][spectrogram]") {
    for (int w : {8, 9, 64}) {
        for (int64_t frames : {int64_t{5}, int64_t{8}, int64_t{9}, int64_t{1000}, int64_t{123457}}) {
            INFO("width " << w << ", frames " << frames);
            spectrogram_columns c(w, 1, -1, 16);
            const auto centres = feed(c, frames);
            REQUIRE(c.growing());
            const int64_t span = c.span();
            CHECK((span & (span - 1)) == 0);
            // Column x holds exactly the centres in [x*span, (x+1)*span).
            const int64_t used = (centres.back() / span) + 1;
            CHECK(used <= w);
            if (frames > w) CHECK(used > w / 2);
            for (int64_t x = 0; x < used; ++x) {
                double sum = 0;
                int n = 0;
                for (int64_t centre : centres)
                    if (centre / span == x) sum += static_cast<double>(centre), ++n;
                REQUIRE(n > 0);
                // Float sums of large centres round; a neighbouring column's mean is a span away.
                CHECK(c.mean(static_cast<int>(x), 0) == Approx(sum / n).margin(static_cast<double>(span) / 20));
            }
            // The columns reached fill the whole picture, in order.
            const auto shown = fitted(c, w);
            CHECK(shown.front() == 0);
            CHECK(shown.back() == used - 1);
            for (size_t x = 1; x < shown.size(); ++x) CHECK(shown[x] >= shown[x - 1]);
            // Once the span passes max_hop, frames come every max_hop frames.
            if (span >= 16) CHECK(c.hop() == 16);
        }
    }
}

TEST_CASE("spectrogram_columns shorter than the width shows each empty column as the next frame",
          "[graphers][spectrogram]") {
    spectrogram_columns c(10, 1, 4, 2048);  // 4 frames over 10 columns: columns 2, 4, 7, 9 get one
    feed(c, 4);
    const auto shown = fitted(c, 10);
    CHECK(shown == std::vector<int>{2, 2, 2, 4, 4, 7, 7, 7, 9, 9});
    CHECK(c.mean(2, 0) == 0);
    CHECK(c.mean(9, 0) == 3);
}

TEST_CASE("spectrogram_columns longer than announced falls back to doubling spans", "[graphers][spectrogram]") {
    spectrogram_columns c(16, 1, 160, 4);
    feed(c, 1000);
    CHECK(c.growing());
    const auto shown = fitted(c, 16);
    CHECK(shown.front() == 0);
    CHECK(shown.back() >= 8);
    // The last column shown holds the last frames: their centres are near the end.
    CHECK(c.mean(shown.back(), 0) > 900);
}

TEST_CASE("spectrogram_columns ending before its announced length stretches what it reached",
          "[graphers][spectrogram]") {
    spectrogram_columns c(10, 1, 1000, 2048);
    feed(c, 500);
    CHECK(fitted(c, 10)[9] == -1);  // still in place while it may go on
    c.finish(500);
    const auto shown = fitted(c, 10);
    CHECK(shown == std::vector<int>{0, 0, 1, 1, 2, 2, 3, 3, 4, 4});
}

TEST_CASE("spectrogram_columns without frames shows nothing", "[graphers][spectrogram]") {
    spectrogram_columns c(5, 2, 0, 1);
    c.finish(0);
    CHECK(fitted(c, 5) == std::vector<int>(5, -1));
    spectrogram_columns live(5, 2, -1, 1);
    CHECK(fitted(live, 5) == std::vector<int>(5, -1));
    CHECK_THROWS_AS(spectrogram_columns(0, 1, 10, 1), std::invalid_argument);
}
