// Vamp outputs in TimeSide's result model. OneSamplePerStep: framewise at the step; FixedSampleRate:
// framewise at its rate (gaps filled with NaN rows), or events where that rate is not a whole
// number of frames; VariableSampleRate: events, or segments when the output has durations.
// A OneSamplePerStep output that gives nothing for a step (spectralcentroid on silence) gets a NaN
// row there, so that row i stays the i-th block. binCount > 1: rows of binCount values; binCount 0: labels (the features' own, else the output's
// name). Times are stream frames, rounded as Vamp's RealTime::realTime2Frame does.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <vamp-hostsdk/Plugin.h>

#include "analyzers/vamp/vamp_parameters.hpp"
#include "core/result.hpp"

namespace timeside::vamp {

using vamp_output = _VampHost::Vamp::Plugin::OutputDescriptor;
using vamp_features = _VampHost::Vamp::Plugin::FeatureList;

struct output_shape {
    time_mode tmode = time_mode::framewise;
    data_mode dmode = data_mode::value;
    size_t width = 0;       // values per row; 0: one value
    int blocksize = 0;      // framewise: the window (OneSamplePerStep) or the step (fixed rate)
    int stepsize = 0;       // framewise: frames between rows
    double fixed_rate = 0;  // FixedSampleRate outputs: rows per second
};

output_shape shape_of(const vamp_output& od, int samplerate, block_sizes sizes);

// One feature as TimeSide stores it: a framewise row (values), or an event or segment at `frame`.
struct mapped_feature {
    int64_t frame = 0;            // event and segment: where it lies, counted from the stream's start
    int64_t duration_frames = 0;  // segment
    std::vector<double> values;   // width values (1 when width is 0); empty in label mode
    std::string label;            // label mode: the feature's label, or the output's name
    bool gap = false;             // a fixed-rate row the plugin skipped (values are NaN)
};

class output_mapper {
public:
    output_mapper(const vamp_output& od, int samplerate, block_sizes sizes);

    const output_shape& shape() const { return shape_; }
    // The features of one process() call for block `step` (getRemainingFeatures: the number of
    // blocks processed), in order; framewise outputs may yield gap rows first.
    std::vector<mapped_feature> map(const vamp_features& features, int64_t step);
    // Framewise features that went back in time, or implausibly far ahead (over 2^24 rows of gap).
    int64_t dropped() const { return dropped_; }

private:
    std::vector<double> values_of(const _VampHost::Vamp::Plugin::Feature& f) const;
    // NaN rows up to row n (exclusive); false, and nothing added, when n is implausibly far ahead.
    bool fill_gaps(int64_t n, std::vector<mapped_feature>& out);

    vamp_output od_;
    int samplerate_;
    output_shape shape_;
    int64_t fixed_count_ = -1;  // the last fixed-rate row number (vamp-simple-host's featureCount)
    int64_t next_row_ = 0;      // framewise: the next row to append
    int64_t dropped_ = 0;
};

}  // namespace timeside::vamp
