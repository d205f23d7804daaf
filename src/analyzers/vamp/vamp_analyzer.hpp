// vamp_analyzer: one output of one Vamp plugin as a TimeSide analyzer. Windows come from the
// core's frame_adapter, in the block and step sizes vamp-simple-host would use, and the stream's
// end is padded with as many part-silent blocks as that host feeds; features become rows, events
// or segments (vamp_output.hpp) and are emitted as they are computed.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "analyzers/vamp/vamp_catalog.hpp"
#include "analyzers/vamp/vamp_output.hpp"
#include "core/analyzer.hpp"
#include "core/frame_adapter.hpp"

namespace timeside::vamp {

// How many blocks vamp-simple-host processes for a stream of `frames` frames: it reads blocks
// until it has had max(1, block / step - 1) short reads, the last of them zero-padded.
int64_t reference_block_count(int64_t frames, int block, int step);

class vamp_analyzer : public analyzer {
public:
    vamp_analyzer(const output_entry& entry, parameter_set params);

    // The block sizes in use and the timestamp shift of the input-domain adapter (half a block
    // for frequency-domain plugins: vamp-simple-host labels their rows with the window's centre).
    block_sizes sizes() const { return sizes_; }
    int64_t timestamp_adjustment() const { return adjustment_; }

protected:
    void on_setup(const stream_info& in) override;
    void on_process(const block_ptr& b) override;
    void on_finish() override;

private:
    void run_window(std::span<const float> window);
    void deliver(const _VampHost::Vamp::Plugin::FeatureSet& features, int64_t step);
    int label_id(const std::string& label);

    const output_entry& entry_;
    std::unique_ptr<_VampHost::Vamp::Plugin> plugin_;
    block_sizes sizes_;
    int64_t adjustment_ = 0;
    int output_index_ = 0;
    int samplerate_ = 0;
    std::optional<output_mapper> mapper_;
    std::optional<frame_adapter> frames_;
    int input_channels_ = 0;
    bool mixdown_ = false;  // a mono plugin on several channels: mixed down in run_window
    std::vector<std::vector<float>> planar_;
    std::vector<float*> planes_;
    int64_t frames_in_ = 0;  // frames given to this analyzer
    int64_t steps_ = 0;      // blocks handed to the plugin
    analyzer_result* result_ = nullptr;
    std::map<std::string, int> labels_;
};

}  // namespace timeside::vamp
