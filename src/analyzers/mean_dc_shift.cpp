// mean_dc_shift: one double-precision sum over every sample. TimeSide averages per-block means
// (seeded with a spurious 0) and rounds to 3 decimals; a short last block or a long file makes that
// drift from the true mean, so we keep the exact mean and full precision.
#include "analyzers/mean_dc_shift.hpp"

namespace timeside {

const processor_info& mean_dc_shift::describe() {
    static const processor_info info{"mean_dc_shift", "Mean DC shift Analyzer", "1.0",
                                     "Mean of all samples of all channels, in percent of full scale (sox stats' DC offset)",
                                     "%", processor_kind::analyzer, {}};
    return info;
}

mean_dc_shift::mean_dc_shift(parameter_set params) : analyzer(describe(), std::move(params)) {}

// The result exists from setup (its value comes at finish): a live mount lists it to subscribers.
void mean_dc_shift::on_setup(const stream_info&) {
    result_ = &new_result(data_mode::value, time_mode::global);
    sum_ = 0;
    samples_ = 0;
}

namespace {
// Eight independent accumulators let the compiler vectorise and keep the rounding error of a long
// sum small (each holds an eighth of the terms).
double sum_of(std::span<const float> x) {
    constexpr size_t lanes = 8;
    double sum[lanes] = {};
    size_t i = 0;
    for (; i + lanes <= x.size(); i += lanes)
        for (size_t k = 0; k < lanes; ++k) sum[k] += x[i + k];
    for (size_t k = 0; i < x.size(); ++i, ++k) sum[k] += x[i];
    double total = 0;
    for (double s : sum) total += s;
    return total;
}
}  // namespace

void mean_dc_shift::on_process(const block_ptr& b) {
    const auto x = b->samples();
    const double sum = sum_of(x);
    sum_ += sum;
    samples_ += static_cast<int64_t>(x.size());
    if (emitting() && !x.empty())
        emit({"mean_dc_shift", b->position(), b->samplerate(), b->frames(), {100.0 * sum / static_cast<double>(x.size())}, {}});
}

void mean_dc_shift::on_finish() {
    result_->data.value = {samples_ ? 100.0 * sum_ / static_cast<double>(samples_) : 0.0};
}

}  // namespace timeside
