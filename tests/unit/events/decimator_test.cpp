// Decimation carries every row of an interval (their mean, min, max and count), never every
// n-th row: checked against the rows' own statistics computed here, interval by interval.
#include "server/events/decimator.hpp"

#include <algorithm>
#include <map>

#include <catch2/catch.hpp>

using namespace timeside;
using namespace timeside::server::events;

TEST_CASE("each interval's message aggregates exactly the rows that start in it", "[events]") {
    constexpr int rate = 44100, step = 1024;
    decimator d(20, rate);
    REQUIRE(d.interval_frames() == 2205);
    std::map<int64_t, std::vector<double>> rows_by_interval;  // the reference
    std::vector<interval_values> out;
    for (int i = 0; i < 500; ++i) {
        const double v = (i * 37) % 101 - 50.0;  // irregular values
        const int64_t frame = int64_t(i) * step;
        rows_by_interval[frame / 2205].push_back(v);
        if (auto agg = d.add({"level.rms", frame, rate, step, {v}, {}})) out.push_back(*agg);
    }
    // Every interval but the last (still open) came out, once, in order.
    REQUIRE(out.size() == rows_by_interval.size() - 1);
    size_t rows = 0;
    auto it = rows_by_interval.begin();
    for (size_t k = 0; k < out.size(); ++k, ++it) {
        const auto& ref = it->second;
        const auto& got = out[k];
        CHECK(got.count == ref.size());
        double sum = 0;
        for (double v : ref) sum += v;
        CHECK(got.mean[0] == Approx(sum / static_cast<double>(ref.size())));
        CHECK(got.min[0] == *std::min_element(ref.begin(), ref.end()));
        CHECK(got.max[0] == *std::max_element(ref.begin(), ref.end()));
        CHECK(got.frame == static_cast<int64_t>(rows) * step);  // its first row
        rows += ref.size();
        CHECK(got.end_frame == static_cast<int64_t>(rows) * step);  // its last row's end: the next one's start
    }
    CHECK(rows + rows_by_interval.rbegin()->second.size() == 500);  // no row lost
}

TEST_CASE("vector rows are aggregated per component, and results independently", "[events]") {
    decimator d(1, 1000);  // one message per 1000 frames
    CHECK_FALSE(d.add({"spectrum", 0, 1000, 500, {1, 10}, {}}));
    CHECK_FALSE(d.add({"other", 0, 1000, 500, {7}, {}}));
    CHECK_FALSE(d.add({"spectrum", 500, 1000, 500, {3, 20}, {}}));
    auto a = d.add({"spectrum", 1000, 1000, 500, {0, 0}, {}});
    REQUIRE(a);
    CHECK(a->mean == std::vector<double>{2, 15});
    CHECK(a->min == std::vector<double>{1, 10});
    CHECK(a->max == std::vector<double>{3, 20});
    CHECK(a->count == 2);
    auto b = d.add({"other", 1200, 1000, 500, {9}, {}});
    REQUIRE(b);
    CHECK(b->result_id == "other");
    CHECK(b->mean == std::vector<double>{7});
}

TEST_CASE("rows far apart (skipped blocks) close their interval at the next row", "[events]") {
    decimator d(10, 44100);
    CHECK_FALSE(d.add({"x", 100, 44100, 1024, {1}, {}}));
    auto a = d.add({"x", 44100 * 5, 44100, 1024, {2}, {}});
    REQUIRE(a);
    CHECK(a->count == 1);
    CHECK(a->frame == 100);
}
