// Output descriptors to result shapes, and features to rows, events and segments.
#include "analyzers/vamp/vamp_output.hpp"

#include <cmath>
#include <limits>

namespace timeside::vamp {

namespace {

using Vamp_RealTime = _VampHost::Vamp::RealTime;
using sample_type = vamp_output::SampleType;

double seconds(const Vamp_RealTime& t) { return t.sec + t.nsec / 1e9; }

int64_t to_frame(const Vamp_RealTime& t, int samplerate) {
    return Vamp_RealTime::realTime2Frame(t, static_cast<unsigned>(samplerate));
}

// Frames per row of a fixed-rate output, when that is a whole number.
std::optional<int> whole_step(double rate, int samplerate) {
    if (!(rate > 0)) return std::nullopt;
    const double step = samplerate / rate;
    if (step < 1 || std::fabs(step - std::round(step)) > 1e-9 * step) return std::nullopt;
    return static_cast<int>(std::round(step));
}

}  // namespace

output_shape shape_of(const vamp_output& od, int samplerate, block_sizes sizes) {
    output_shape s;
    s.width = od.hasFixedBinCount && od.binCount > 1 ? od.binCount : 0;
    const bool no_values = od.hasFixedBinCount && od.binCount == 0;
    switch (od.sampleType) {
        case sample_type::OneSamplePerStep:
            s.tmode = time_mode::framewise;
            s.blocksize = sizes.block;
            s.stepsize = sizes.step;
            break;
        case sample_type::FixedSampleRate:
            s.fixed_rate = od.sampleRate;
            if (auto step = whole_step(od.sampleRate, samplerate); step && !od.hasDuration) {
                s.tmode = time_mode::framewise;
                s.blocksize = s.stepsize = *step;
            } else {
                s.tmode = od.hasDuration ? time_mode::segment : time_mode::event;
            }
            break;
        case sample_type::VariableSampleRate:
            s.tmode = od.hasDuration ? time_mode::segment : time_mode::event;
            break;
    }
    if (no_values && s.tmode != time_mode::framewise) s.dmode = data_mode::label;
    return s;
}

output_mapper::output_mapper(const vamp_output& od, int samplerate, block_sizes sizes)
    : od_(od), samplerate_(samplerate), shape_(shape_of(od, samplerate, sizes)) {}

std::vector<double> output_mapper::values_of(const _VampHost::Vamp::Plugin::Feature& f) const {
    if (shape_.dmode == data_mode::label) return {};
    const size_t n = shape_.width == 0 ? 1 : shape_.width;
    std::vector<double> v(n, std::numeric_limits<double>::quiet_NaN());
    for (size_t i = 0; i < n && i < f.values.size(); ++i) v[i] = f.values[i];
    return v;
}

bool output_mapper::fill_gaps(int64_t n, std::vector<mapped_feature>& out) {
    constexpr int64_t max_gap = int64_t{1} << 24;
    if (n - next_row_ > max_gap) return false;
    for (; next_row_ < n; ++next_row_) {
        mapped_feature gap;
        gap.values.assign(shape_.width == 0 ? 1 : shape_.width, std::numeric_limits<double>::quiet_NaN());
        gap.gap = true;
        out.push_back(std::move(gap));
    }
    return true;
}

std::vector<mapped_feature> output_mapper::map(const vamp_features& features, int64_t step) {
    std::vector<mapped_feature> out;
    for (const auto& f : features) {
        mapped_feature m;
        m.values = values_of(f);
        if (shape_.dmode == data_mode::label) m.label = f.label.empty() ? od_.name : f.label;
        if (f.hasDuration) m.duration_frames = to_frame(f.duration, samplerate_);
        if (od_.sampleType == sample_type::OneSamplePerStep) {
            fill_gaps(step, out);
            ++next_row_;
            out.push_back(std::move(m));
            continue;
        }
        if (od_.sampleType == sample_type::VariableSampleRate) {
            m.frame = to_frame(f.timestamp, samplerate_);
            out.push_back(std::move(m));
            continue;
        }
        // Fixed rate: the row number as vamp-simple-host computes it (the timestamp's, rounded,
        // else the one after the last).
        const int64_t n = f.hasTimestamp ? std::llround(seconds(f.timestamp) * shape_.fixed_rate) : fixed_count_ + 1;
        fixed_count_ = n;
        if (shape_.tmode != time_mode::framewise) {
            m.frame = to_frame(Vamp_RealTime::fromSeconds(double(n) / shape_.fixed_rate), samplerate_);
            out.push_back(std::move(m));
            continue;
        }
        if (n < next_row_ || !fill_gaps(n, out)) {
            ++dropped_;
            continue;
        }
        ++next_row_;
        out.push_back(std::move(m));
    }
    return out;
}

}  // namespace timeside::vamp
