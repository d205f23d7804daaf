// aubio_specdesc: aubio's spectral descriptors per hop, one framewise result per method
// (`aubio_specdesc.<method>`: centroid, spread, slope, hfc, specflux...), all from one FFT.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "analyzers/aubio_common.hpp"
#include "core/analyzer.hpp"

namespace timeside {

class aubio_specdesc : public analyzer {
public:
    static const processor_info& describe();
    // Every method aubio 0.4.9 offers; "all" runs TimeSide's list (all but wphase).
    static const std::vector<std::string>& known_methods();

    explicit aubio_specdesc(parameter_set params);

    const std::vector<std::string>& methods() const { return methods_; }

protected:
    void on_setup(const stream_info& in) override;
    void on_process(const block_ptr& b) override;
    void on_finish() override;

private:
    void on_hop(const fvec_t& hop);

    struct descriptor {
        aubio::specdesc_ptr desc;
        analyzer_result* result = nullptr;
    };

    int buffer_size_, hop_size_;
    std::vector<std::string> methods_;
    aubio::pvoc_ptr pvoc_;
    aubio::cvec_ptr spectrum_;
    aubio::fvec_ptr value_;
    std::vector<descriptor> descriptors_;
    std::optional<aubio::hop_feed> feed_;
};

}  // namespace timeside
