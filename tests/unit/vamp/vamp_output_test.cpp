// Vamp output descriptors to result shapes, and features to rows, events and segments: frames
// rounded as Vamp's RealTime::realTime2Frame, gap rows for skipped blocks and fixed-rate rows.
#include <catch2/catch.hpp>

#include <cmath>

#include "analyzers/vamp/vamp_output.hpp"

using namespace timeside;
using namespace timeside::vamp;
using RT = _VampHost::Vamp::RealTime;
using feature = _VampHost::Vamp::Plugin::Feature;

namespace {
vamp_output output(vamp_output::SampleType type, size_t bins, float rate = 0, bool duration = false) {
    vamp_output od;
    od.identifier = "o";
    od.name = "Onsets";
    od.hasFixedBinCount = true;
    od.binCount = bins;
    od.sampleType = type;
    od.sampleRate = rate;
    od.hasDuration = duration;
    return od;
}

feature at(double seconds, std::vector<float> values = {}, std::string label = {}) {
    feature f;
    f.hasTimestamp = true;
    f.timestamp = RT::fromSeconds(seconds);
    f.values = std::move(values);
    f.label = std::move(label);
    return f;
}

feature values(std::vector<float> v) {
    feature f;
    f.values = std::move(v);
    return f;
}
}  // namespace

TEST_CASE("vamp: one sample per step is framewise at the step, binCount values per row", "[vamp]") {
    const auto s = shape_of(output(vamp_output::OneSamplePerStep, 513), 44100, {1024, 512});
    CHECK(s.tmode == time_mode::framewise);
    CHECK(s.dmode == data_mode::value);
    CHECK(s.width == 513);
    CHECK(s.blocksize == 1024);
    CHECK(s.stepsize == 512);
    CHECK(shape_of(output(vamp_output::OneSamplePerStep, 1), 44100, {1024, 512}).width == 0);
}

TEST_CASE("vamp: a block a one-sample-per-step output skips is a NaN row, so rows stay blocks", "[vamp]") {
    output_mapper m(output(vamp_output::OneSamplePerStep, 2), 44100, {1024, 512});
    CHECK(m.map({values({1, 2})}, 0).size() == 1);
    CHECK(m.map({}, 1).empty());  // nothing yet: the gap shows when the next row comes
    auto rows = m.map({values({3})}, 3);
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].gap);
    CHECK(rows[1].gap);
    CHECK(std::isnan(rows[1].values[1]));
    CHECK_FALSE(rows[2].gap);
    CHECK(rows[2].values[0] == 3.0);
    CHECK(std::isnan(rows[2].values[1]));  // fewer values than bins: NaN-padded
}

TEST_CASE("vamp: variable-rate outputs are events or segments at their timestamp's frame", "[vamp]") {
    const auto od = output(vamp_output::VariableSampleRate, 0);
    CHECK(shape_of(od, 44100, {1024, 512}).tmode == time_mode::event);
    CHECK(shape_of(od, 44100, {1024, 512}).dmode == data_mode::label);  // no values: labels
    output_mapper m(od, 44100, {1024, 512});
    auto e = m.map({at(4096.0 / 44100), at(1.5, {}, "strong")}, 0);
    REQUIRE(e.size() == 2);
    CHECK(e[0].frame == 4096);
    CHECK(e[0].label == "Onsets");  // no label of its own: the output's name
    CHECK(e[1].frame == 66150);
    CHECK(e[1].label == "strong");

    const auto seg = output(vamp_output::VariableSampleRate, 1, 0, true);
    CHECK(shape_of(seg, 44100, {1024, 512}).tmode == time_mode::segment);
    output_mapper ms(seg, 44100, {1024, 512});
    auto f = at(0.5, {120.0f});
    f.hasDuration = true;
    f.duration = RT::fromSeconds(2.0);
    auto s = ms.map({f}, 0);
    REQUIRE(s.size() == 1);
    CHECK(s[0].frame == 22050);
    CHECK(s[0].duration_frames == 88200);
    CHECK(s[0].values == std::vector<double>{120.0});
}

TEST_CASE("vamp: fixed-rate outputs are framewise at their rate, with gaps, or events", "[vamp]") {
    const auto od = output(vamp_output::FixedSampleRate, 1, 44100.0f / 64);
    const auto s = shape_of(od, 44100, {256, 64});
    CHECK(s.tmode == time_mode::framewise);
    CHECK(s.stepsize == 64);
    CHECK(s.blocksize == 64);
    output_mapper m(od, 44100, {256, 64});
    auto rows = m.map({at(128.0 / 44100, {5}), values({6})}, 0);  // rows 2, then 3 (no timestamp)
    REQUIRE(rows.size() == 4);
    CHECK(rows[0].gap);
    CHECK(rows[1].gap);
    CHECK(rows[2].values[0] == 5.0);
    CHECK(rows[3].values[0] == 6.0);
    CHECK(m.map({at(64.0 / 44100, {7})}, 1).empty());  // back in time: dropped, counted
    CHECK(m.dropped() == 1);

    // 100 rows a second at 44.1 kHz is 441 frames a row: framewise; 13 a second is not whole: events
    CHECK(shape_of(output(vamp_output::FixedSampleRate, 1, 100), 44100, {}).tmode == time_mode::framewise);
    const auto odd = output(vamp_output::FixedSampleRate, 1, 13);
    CHECK(shape_of(odd, 44100, {}).tmode == time_mode::event);
    output_mapper me(odd, 44100, {});
    auto ev = me.map({values({1}), values({2})}, 0);
    REQUIRE(ev.size() == 2);
    CHECK(ev[0].frame == 0);
    CHECK(ev[1].frame == 3392);  // row 1 of 13 a second: 3392.3 frames, rounded
}
