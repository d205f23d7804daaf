// level: one pass, double-precision sums of squares per channel, no per-block averaging
// (TimeSide's mean of per-block means drifts from the true RMS when the last block is short).
// The overall values are derived from the channels' (max of peaks, sum of sums): one pass serves both.
#include "analyzers/level.hpp"

#include <algorithm>
#include <cmath>

namespace timeside {

const processor_info& level::describe() {
    static const processor_info info{"level", "Level Analyzer", "1.0",
                                     "Peak and RMS level over all channels and per channel (as sox stats)", "dBFS",
                                     processor_kind::analyzer, {}};
    return info;
}

level::level(parameter_set params) : analyzer(describe(), std::move(params)) {}

double level::to_db(double amplitude) {
    return amplitude > 0 ? std::max(floor_db, 20.0 * std::log10(amplitude)) : floor_db;
}

// The results exist from setup (their values come at finish), so that a live mount can list
// them to its subscribers before the stream ends. `level.max` and `level.rms` are TimeSide's
// (one value); `level.channel_max` and `level.channel_rms` hold one value per channel.
void level::on_setup(const stream_info& in) {
    max_ = &new_result(data_mode::value, time_mode::global, "max", "Max");
    rms_ = &new_result(data_mode::value, time_mode::global, "rms", "RMS");
    channel_max_ = &new_result(data_mode::value, time_mode::global, "channel_max", "Channel Max");
    channel_rms_ = &new_result(data_mode::value, time_mode::global, "channel_rms", "Channel RMS");
    for (analyzer_result* r : {max_, channel_max_}) r->interval_aggregate = aggregation::max;
    for (analyzer_result* r : {rms_, channel_rms_}) r->interval_aggregate = aggregation::power_mean;
    channel_max_->value_axis = channel_rms_->value_axis = "channel";
    const auto channels = static_cast<size_t>(std::max(1, in.format.channels));
    peak_.assign(channels, 0.0f);
    sum_squares_.assign(channels, 0.0);
    block_peak_.assign(channels, 0.0f);
    block_sum_.assign(channels, 0.0);
    frames_ = 0;
}

namespace {
// Peak and sum of squares of each channel of a run of interleaved samples. Eight independent
// accumulators break the add latency chain and let the compiler vectorise (a single running sum
// runs at a quarter of the speed); when the channels divide eight, accumulator k only ever sees
// channel k % channels, so folding them gives each channel's values. The order of additions
// differs from a plain loop by far less than sox's 0.01 dB.
void channel_peak_and_energy(std::span<const float> x, size_t channels, std::span<float> peak_out,
                             std::span<double> sum_out) {
    std::fill(peak_out.begin(), peak_out.end(), 0.0f);
    std::fill(sum_out.begin(), sum_out.end(), 0.0);
    constexpr size_t lanes = 8;
    if (lanes % channels != 0) {  // 3, 5, 6, 7 channels: a plain loop, frame by frame
        for (size_t i = 0; i + channels <= x.size(); i += channels)
            for (size_t c = 0; c < channels; ++c) {
                peak_out[c] = std::max(peak_out[c], std::fabs(x[i + c]));
                sum_out[c] += static_cast<double>(x[i + c]) * x[i + c];
            }
        return;
    }
    float peak[lanes] = {};
    double sum[lanes] = {};
    size_t i = 0;
    for (; i + lanes <= x.size(); i += lanes)
        for (size_t k = 0; k < lanes; ++k) {
            const float v = x[i + k];
            peak[k] = std::max(peak[k], std::fabs(v));
            sum[k] += static_cast<double>(v) * v;
        }
    for (size_t k = 0; i < x.size(); ++i, ++k) {  // i is a multiple of 8 here: lane k is sample i
        peak[k] = std::max(peak[k], std::fabs(x[i]));
        sum[k] += static_cast<double>(x[i]) * x[i];
    }
    for (size_t k = 0; k < lanes; ++k) {
        peak_out[k % channels] = std::max(peak_out[k % channels], peak[k]);
        sum_out[k % channels] += sum[k];
    }
}

double rms_db(double sum_squares, double n) { return level::to_db(n > 0 ? std::sqrt(sum_squares / n) : 0.0); }
}  // namespace

void level::on_process(const block_ptr& b) {
    const size_t channels = peak_.size();
    channel_peak_and_energy(b->samples(), channels, block_peak_, block_sum_);
    float peak = 0;
    double sum = 0;
    for (size_t c = 0; c < channels; ++c) {
        peak_[c] = std::max(peak_[c], block_peak_[c]);
        sum_squares_[c] += block_sum_[c];
        peak = std::max(peak, block_peak_[c]);
        sum += block_sum_[c];
    }
    const int64_t frames = b->frames();
    frames_ += frames;
    if (emitting() && frames > 0) {
        const auto n = static_cast<double>(frames);
        analysis_event e{"level.max", b->position(), b->samplerate(), frames, {to_db(peak)}, {}};
        emit(e);
        e.result_id = "level.rms";
        e.values = {rms_db(sum, n * static_cast<double>(channels))};
        emit(e);
        e.result_id = "level.channel_max";
        e.values.resize(channels);
        for (size_t c = 0; c < channels; ++c) e.values[c] = to_db(block_peak_[c]);
        emit(e);
        e.result_id = "level.channel_rms";
        for (size_t c = 0; c < channels; ++c) e.values[c] = rms_db(block_sum_[c], n);
        emit(e);
    }
}

void level::on_finish() {
    const size_t channels = peak_.size();
    const auto n = static_cast<double>(frames_);
    float peak = 0;
    double sum = 0;
    channel_max_->data.value.resize(channels);
    channel_rms_->data.value.resize(channels);
    for (size_t c = 0; c < channels; ++c) {
        peak = std::max(peak, peak_[c]);
        sum += sum_squares_[c];
        channel_max_->data.value[c] = to_db(peak_[c]);
        channel_rms_->data.value[c] = rms_db(sum_squares_[c], n);
    }
    max_->data.value = {to_db(peak)};
    rms_->data.value = {rms_db(sum, n * static_cast<double>(channels))};
}

}  // namespace timeside
