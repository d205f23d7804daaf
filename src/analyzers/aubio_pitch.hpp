// aubio_pitch: fundamental frequency (Hz) and its confidence for every hop, with aubio's pitch
// detectors (yinfft by default), as `aubiopitch` computes them; framewise rows stream as events.
#pragma once

#include <optional>

#include "analyzers/aubio_common.hpp"
#include "core/analyzer.hpp"

namespace timeside {

class aubio_pitch : public analyzer {
public:
    static const processor_info& describe();

    explicit aubio_pitch(parameter_set params);

protected:
    void on_setup(const stream_info& in) override;
    void on_process(const block_ptr& b) override;
    void on_finish() override;

private:
    void on_hop(const fvec_t& hop);

    int buffer_size_, hop_size_;
    aubio::pitch_ptr pitch_;
    aubio::fvec_ptr out_;
    std::optional<aubio::hop_feed> feed_;
    analyzer_result* pitch_result_ = nullptr;
    analyzer_result* confidence_result_ = nullptr;
};

}  // namespace timeside
