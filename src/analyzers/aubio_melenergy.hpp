// aubio_melenergy: energy in each mel band per hop (aubio's phase vocoder and filterbank, Slaney's
// 40 bands by default), one row of n_filters values per hop, y_value = each band's peak frequency.
#pragma once

#include <optional>
#include <vector>

#include "analyzers/aubio_common.hpp"
#include "core/analyzer.hpp"

namespace timeside {

class aubio_melenergy : public analyzer {
public:
    static const processor_info& describe();

    explicit aubio_melenergy(parameter_set params);

protected:
    void on_setup(const stream_info& in) override;
    void on_process(const block_ptr& b) override;
    void on_finish() override;

private:
    void on_hop(const fvec_t& hop);

    int buffer_size_, hop_size_, n_filters_;
    aubio::pvoc_ptr pvoc_;
    aubio::filterbank_ptr bank_;
    aubio::cvec_ptr spectrum_;
    aubio::fvec_ptr energies_;
    std::vector<double> row_;
    std::optional<aubio::hop_feed> feed_;
    analyzer_result* result_ = nullptr;
};

}  // namespace timeside
