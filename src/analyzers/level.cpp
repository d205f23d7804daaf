// level: one pass, double-precision sum of squares, no per-block averaging (TimeSide's mean of
// per-block means drifts from the true RMS when the last block is short).
#include "analyzers/level.hpp"

#include <algorithm>
#include <cmath>

namespace timeside {

const processor_info& level::describe() {
    static const processor_info info{"level", "Level Analyzer", "1.0",
                                     "Peak and RMS level over all channels (as sox stats)", "dBFS",
                                     processor_kind::analyzer, {}};
    return info;
}

level::level(parameter_set params) : analyzer(describe(), std::move(params)) {}

double level::to_db(double amplitude) {
    return amplitude > 0 ? std::max(floor_db, 20.0 * std::log10(amplitude)) : floor_db;
}

// The results exist from setup (their values come at finish), so that a live mount can list
// them to its subscribers before the stream ends.
void level::on_setup(const stream_info&) {
    max_ = &new_result(data_mode::value, time_mode::global, "max", "Max");
    rms_ = &new_result(data_mode::value, time_mode::global, "rms", "RMS");
    peak_ = 0;
    sum_squares_ = 0;
    samples_ = 0;
}

namespace {
// Peak and sum of squares of a run of samples. Eight independent accumulators break the add
// latency chain and let the compiler vectorise (a single running sum runs at a quarter of the
// speed); the order of additions differs from a plain loop by far less than sox's 0.01 dB.
void peak_and_energy(std::span<const float> x, float& peak_out, double& sum_out) {
    constexpr size_t lanes = 8;
    float peak[lanes] = {};
    double sum[lanes] = {};
    size_t i = 0;
    for (; i + lanes <= x.size(); i += lanes)
        for (size_t k = 0; k < lanes; ++k) {
            const float v = x[i + k];
            peak[k] = std::max(peak[k], std::fabs(v));
            sum[k] += static_cast<double>(v) * v;
        }
    for (size_t k = 0; i < x.size(); ++i, ++k) {
        peak[k] = std::max(peak[k], std::fabs(x[i]));
        sum[k] += static_cast<double>(x[i]) * x[i];
    }
    peak_out = *std::max_element(peak, peak + lanes);
    sum_out = 0;
    for (double s : sum) sum_out += s;
}
}  // namespace

void level::on_process(const block_ptr& b) {
    float peak = 0;
    double sum = 0;
    peak_and_energy(b->samples(), peak, sum);
    peak_ = std::max(peak_, peak);
    sum_squares_ += sum;
    const auto n = static_cast<int64_t>(b->samples().size());
    samples_ += n;
    if (emitting() && n > 0) {
        analysis_event e{"level.max", b->position(), b->samplerate(), b->frames(), {to_db(peak)}, {}};
        emit(e);
        e.result_id = "level.rms";
        e.values = {to_db(std::sqrt(sum / n))};
        emit(e);
    }
}

void level::on_finish() {
    max_->data.value = {to_db(peak_)};
    rms_->data.value = {to_db(samples_ ? std::sqrt(sum_squares_ / samples_) : 0.0)};
}

}  // namespace timeside
