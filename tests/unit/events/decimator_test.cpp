// Decimation carries every row of an interval (their mean, min, max and count; for peaks their
// max, for RMS levels their power mean), never every n-th row: checked against the rows' own
// statistics, or the samples behind them, computed here interval by interval.
#include "server/events/decimator.hpp"

#include <algorithm>
#include <cmath>
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

TEST_CASE("a peak's interval value is the max of its rows, per channel", "[events][level]") {
    decimator d(1, 1000);
    CHECK_FALSE(d.add({"level.channel_max", 0, 1000, 400, {-6, -30}, {}}, aggregation::max));
    CHECK_FALSE(d.add({"level.channel_max", 400, 1000, 400, {-12, -20}, {}}, aggregation::max));
    CHECK_FALSE(d.add({"level.channel_max", 800, 1000, 400, {-200, -25}, {}}, aggregation::max));
    auto a = d.add({"level.channel_max", 1200, 1000, 400, {0, 0}, {}}, aggregation::max);
    REQUIRE(a);
    CHECK(a->mean == std::vector<double>{-6, -20});  // the message's `value`: each channel's own max
    CHECK(a->max == std::vector<double>{-6, -20});
    CHECK(a->min == std::vector<double>{-200, -30});
    CHECK(a->count == 3);
}

namespace {
double rms_db(const std::vector<double>& x, int64_t from, int64_t to) {
    double sum = 0;
    for (int64_t i = from; i < to; ++i) sum += x[static_cast<size_t>(i)] * x[static_cast<size_t>(i)];
    return 10 * std::log10(sum / static_cast<double>(to - from));
}
}  // namespace

TEST_CASE("an RMS level's interval value is the RMS of the interval's samples, per channel", "[events][level]") {
    // Two channels of different, changing levels, cut into blocks of uneven lengths; each block's
    // row is its channels' RMS in dB (what level emits). The reference is computed from the samples.
    constexpr int rate = 44100;
    const int64_t frames = rate * 3;
    std::vector<double> left(frames), right(frames);
    for (int64_t i = 0; i < frames; ++i) {
        left[i] = 0.5 * std::sin(i * 0.05) * (1 + static_cast<double>(i % 9000) / 3000);
        right[i] = 0.02 * std::sin(i * 0.3) + (i / 7000 % 2 ? 0.1 : 0.0);
    }
    decimator d(10, rate);  // intervals of 4410 frames
    std::vector<interval_values> out;
    const int64_t lengths[] = {300, 1024, 700, 1500};
    for (int64_t f = 0, k = 0; f < frames; ++k) {
        const int64_t n = std::min(lengths[k % 4], frames - f);
        const std::vector<double> row{rms_db(left, f, f + n), rms_db(right, f, f + n)};
        if (auto v = d.add({"level.channel_rms", f, rate, n, row, {}}, aggregation::power_mean)) out.push_back(*v);
        f += n;
    }
    for (auto& v : d.flush()) out.push_back(std::move(v));
    REQUIRE(out.size() >= 29);
    int64_t covered = 0;
    for (const auto& v : out) {
        CHECK(v.frame == covered);  // contiguous: every sample in exactly one interval
        covered = v.end_frame;
        REQUIRE(v.mean.size() == 2);
        CHECK(v.mean[0] == Approx(rms_db(left, v.frame, v.end_frame)).margin(1e-9));
        CHECK(v.mean[1] == Approx(rms_db(right, v.frame, v.end_frame)).margin(1e-9));
        CHECK(v.min[1] <= v.mean[1]);
        CHECK(v.mean[1] <= v.max[1]);
    }
    CHECK(covered == frames);
    // The plain mean of the rows' dB would be another number: power_mean is not the default.
    decimator plain(10, rate);
    std::optional<interval_values> first;
    for (int64_t f = 0, k = 0; !first; ++k) {
        const int64_t n = lengths[k % 4];
        first = plain.add({"level.channel_rms", f, rate, n, {rms_db(left, f, f + n), rms_db(right, f, f + n)}, {}});
        f += n;
    }
    CHECK(std::abs(first->mean[0] - rms_db(left, first->frame, first->end_frame)) > 0.01);
}

TEST_CASE("a power mean lies within its rows' extremes: one row reads back as itself", "[events][level]") {
    for (double v : {-200.0, -96.33, -20.0000001, -3.0103, -0.1, 0.0}) {
        decimator d(50, 44100);
        CHECK_FALSE(d.add({"level.rms", 0, 44100, 1024, {v, v / 3}, {}}, aggregation::power_mean));
        auto a = d.add({"level.rms", 1024, 44100, 1024, {0, 0}, {}}, aggregation::power_mean);
        REQUIRE(a);
        CHECK(a->count == 1);
        CHECK(a->mean == std::vector<double>{v, v / 3});
    }
}
