// aubio_mfcc: Mel-frequency cepstral coefficients per hop (aubio's phase vocoder, then aubio_mfcc:
// Slaney's 40 mel bands by default, log, DCT), one row of n_coeffs values per hop.
#pragma once

#include <optional>
#include <vector>

#include "analyzers/aubio_common.hpp"
#include "core/analyzer.hpp"

namespace timeside {

class aubio_mfcc : public analyzer {
public:
    static const processor_info& describe();

    explicit aubio_mfcc(parameter_set params);

protected:
    void on_setup(const stream_info& in) override;
    void on_process(const block_ptr& b) override;
    void on_finish() override;

private:
    void on_hop(const fvec_t& hop);

    int buffer_size_, hop_size_, n_filters_, n_coeffs_;
    aubio::pvoc_ptr pvoc_;
    aubio::mfcc_ptr mfcc_;
    aubio::cvec_ptr spectrum_;
    aubio::fvec_ptr coeffs_;
    std::vector<double> row_;
    std::optional<aubio::hop_feed> feed_;
    analyzer_result* result_ = nullptr;
};

}  // namespace timeside
