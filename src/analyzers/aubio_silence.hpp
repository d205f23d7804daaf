// aubio_silence: silent and sounding stretches as labelled segments (0 Silence, 1 Not Silence),
// each block judged by aubio_silence_detection against a level in dB; a segment is emitted as soon
// as the next one begins.
#pragma once

#include <optional>

#include "analyzers/aubio_common.hpp"
#include "core/analyzer.hpp"

namespace timeside {

class aubio_silence : public analyzer {
public:
    static const processor_info& describe();
    static constexpr int silence_label = 0, sound_label = 1;

    explicit aubio_silence(parameter_set params);

protected:
    void on_setup(const stream_info& in) override;
    void on_process(const block_ptr& b) override;
    void on_finish() override;

private:
    void on_block(const fvec_t& hop, int64_t first);
    void close_segment(int64_t end);

    int buffer_size_;
    smpl_t threshold_;
    int samplerate_ = 0;
    int64_t frames_ = 0;  // frames received: the last segment ends there, not in the padding
    std::optional<aubio::hop_feed> feed_;
    int current_label_ = -1;
    int64_t segment_start_ = 0;
    analyzer_result* result_ = nullptr;
};

}  // namespace timeside
