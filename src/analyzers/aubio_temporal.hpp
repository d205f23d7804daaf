// aubio_temporal: onsets (aubio_onset_t, as `aubioonset`) and beats and tempo (aubio_tempo_t, as
// `aubiotrack`) in one pass; each onset, onset-rate segment and beat is emitted as it is found.
#pragma once

#include <optional>
#include <vector>

#include "analyzers/aubio_common.hpp"
#include "analyzers/aubio_detectors.hpp"
#include "core/analyzer.hpp"

namespace timeside {

class aubio_temporal : public analyzer {
public:
    static const processor_info& describe();

    explicit aubio_temporal(parameter_set params);

protected:
    void on_setup(const stream_info& in) override;
    void on_process(const block_ptr& b) override;
    void on_finish() override;

private:
    void on_onset_hop(const fvec_t& hop, int64_t first);
    void on_tempo_hop(const fvec_t& hop, int64_t first);
    void add_onset_rate(int64_t from, int64_t frames);

    int samplerate_ = 0;
    std::optional<aubio::onset_detector> onset_;
    std::optional<aubio::beat_tracker> tempo_;
    std::optional<aubio::hop_feed> onset_feed_, tempo_feed_;
    std::optional<int64_t> last_onset_;
    int64_t last_period_ = 0;
    analyzer_result *onsets_ = nullptr, *onset_rate_ = nullptr, *beats_ = nullptr,
                    *beat_confidence_ = nullptr, *bpm_ = nullptr;
};

}  // namespace timeside
