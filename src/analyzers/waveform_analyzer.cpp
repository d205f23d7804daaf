// waveform_analyzer: every sample frame is appended as a row, so a row sink (HDF5) can take a
// long file without it ever being held whole in memory.
#include "analyzers/waveform_analyzer.hpp"

namespace timeside {

const processor_info& waveform_analyzer::describe() {
    static const processor_info info{"waveform_analyzer", "Waveform Analyzer", "1.0",
                                     "The raw samples: one row per sample frame, one value per channel", "",
                                     processor_kind::analyzer, {}};
    return info;
}

waveform_analyzer::waveform_analyzer(parameter_set params) : analyzer(describe(), std::move(params)) {}

void waveform_analyzer::on_setup(const stream_info& in) {
    const int channels = in.format.channels;
    row_.assign(static_cast<size_t>(channels), 0.0);
    result_ = &new_framewise_result("", "", static_cast<size_t>(channels), 1, 1);
}

void waveform_analyzer::on_process(const block_ptr& b) {
    const auto x = b->samples();
    const size_t ch = row_.size();
    for (size_t i = 0; i + ch <= x.size(); i += ch) {
        for (size_t c = 0; c < ch; ++c) row_[c] = x[i + c];
        append_row(*result_, row_);
    }
}

}  // namespace timeside
