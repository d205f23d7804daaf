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

void level::on_setup(const stream_info&) {
    peak_ = 0;
    sum_squares_ = 0;
    samples_ = 0;
}

void level::on_process(const block_ptr& b) {
    float peak = 0;
    double sum = 0;
    for (float x : b->samples()) {
        peak = std::max(peak, std::fabs(x));
        sum += static_cast<double>(x) * x;
    }
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
    auto& max = new_result(data_mode::value, time_mode::global, "max", "Max");
    max.data.value = {to_db(peak_)};
    auto& rms = new_result(data_mode::value, time_mode::global, "rms", "RMS");
    rms.data.value = {to_db(samples_ ? std::sqrt(sum_squares_ / samples_) : 0.0)};
}

}  // namespace timeside
