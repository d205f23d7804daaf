// Running one Vamp plugin output over a stream: setup (parameters, sizes, initialise), the
// reference host's windowing, and features to results and events.
#include "analyzers/vamp/vamp_analyzer.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <vamp-hostsdk/PluginInputDomainAdapter.h>
#include <vamp-hostsdk/PluginWrapper.h>

#include "core/errors.hpp"

namespace timeside::vamp {

namespace host = _VampHost::Vamp;

int64_t reference_block_count(int64_t frames, int block, int step) {
    const int64_t short_reads = std::max(1, block / step - 1);
    const int64_t first_short = frames < block ? 0 : (frames - block) / step + 1;
    return first_short + short_reads;
}

vamp_analyzer::vamp_analyzer(const output_entry& entry, parameter_set params)
    : analyzer(entry.info, std::move(params)), entry_(entry) {}

void vamp_analyzer::on_setup(const stream_info& in) {
    samplerate_ = in.format.samplerate;
    const int channels = in.format.channels;
    plugin_ = instantiate(entry_.descriptor, samplerate_);
    sizes_ = apply_parameters(*plugin_, parameters());
    // A mono plugin on a multichannel stream: the mixdown is done here, in the channel adapter's
    // arithmetic (channel 0, plus each next one, over float(channels): the same floats), in the
    // pass that takes the window apart, instead of by the adapter in three more passes.
    mixdown_ = channels > 1 && plugin_->getMaxChannelCount() == 1;
    const int plugin_channels = mixdown_ ? 1 : channels;
    if (!plugin_->initialise(static_cast<size_t>(plugin_channels), static_cast<size_t>(sizes_.step),
                             static_cast<size_t>(sizes_.block)))
        // A parameter value this stream cannot take: the usual parameter error (usage_error).
        throw usage_error(fmt::format(
            "{}: the Vamp plugin {} refused to start with {} channel(s) at {} Hz, input_blocksize={} and "
            "input_stepsize={} (it prefers {} and {}; 0 means no preference)",
            id(), entry_.key(), channels, samplerate_, sizes_.block, sizes_.step, plugin_->getPreferredBlockSize(),
            plugin_->getPreferredStepSize()));
    adjustment_ = 0;
    if (auto* wrapper = dynamic_cast<host::HostExt::PluginWrapper*>(plugin_.get()))
        if (auto* ida = wrapper->getWrapper<host::HostExt::PluginInputDomainAdapter>())
            adjustment_ = host::RealTime::realTime2Frame(ida->getTimestampAdjustment(), samplerate_);

    const auto outputs = plugin_->getOutputDescriptors();
    auto it = std::find_if(outputs.begin(), outputs.end(), [&](const auto& od) { return od.identifier == entry_.output; });
    if (it == outputs.end())
        throw processing_error(fmt::format("{}: the Vamp plugin {} no longer has an output '{}' with these parameters",
                                           id(), entry_.key(), entry_.output));
    output_index_ = static_cast<int>(it - outputs.begin());
    mapper_.emplace(*it, samplerate_, sizes_);
    const auto& shape = mapper_->shape();

    result_ = shape.tmode == time_mode::framewise
                  ? &new_framewise_result({}, {}, shape.width, shape.blocksize, shape.stepsize)
                  : &new_result(shape.dmode, shape.tmode);
    result_->id.unit = it->unit;
    labels_.clear();
    if (shape.dmode == data_mode::label) {
        label_id(it->name);
    } else {
        // Bin names, where the plugin gives them, name the columns (label metadata by column index).
        for (size_t i = 0; i < it->binNames.size() && i < std::max<size_t>(shape.width, 1); ++i)
            if (!it->binNames[i].empty()) result_->labels.label[static_cast<int>(i)] = it->binNames[i];
    }

    frames_.emplace(channels, sizes_.block, sizes_.step, false);
    input_channels_ = channels;
    planar_.assign(static_cast<size_t>(plugin_channels), std::vector<float>(static_cast<size_t>(sizes_.block)));
    planes_.clear();
    for (auto& p : planar_) planes_.push_back(p.data());
    frames_in_ = 0;
    steps_ = 0;
}

int vamp_analyzer::label_id(const std::string& label) {
    auto [it, added] = labels_.emplace(label, static_cast<int>(labels_.size()));
    if (added) result_->labels.label[it->second] = label;
    return it->second;
}

void vamp_analyzer::run_window(std::span<const float> window) {
    const size_t channels = static_cast<size_t>(input_channels_);
    const size_t n = static_cast<size_t>(sizes_.block);
    if (mixdown_) {
        float* out = planar_[0].data();
        const float divisor = static_cast<float>(channels);
        const float* in = window.data();
        if (channels == 2) {  // the common case, in a loop the compiler vectorises
            for (size_t j = 0; j < n; ++j) out[j] = (in[2 * j] + in[2 * j + 1]) / 2.0f;
        } else {
            for (size_t j = 0; j < n; ++j) {
                float sum = in[j * channels];
                for (size_t c = 1; c < channels; ++c) sum += in[j * channels + c];
                out[j] = sum / divisor;
            }
        }
    } else if (channels == 1) {
        std::copy_n(window.data(), n, planar_[0].data());
    } else {
        for (size_t c = 0; c < channels; ++c)
            for (size_t j = 0; j < n; ++j) planar_[c][j] = window[j * channels + c];
    }
    const auto at = host::RealTime::frame2RealTime(steps_ * sizes_.step, static_cast<unsigned>(samplerate_));
    deliver(plugin_->process(planes_.data(), at), steps_);
    ++steps_;
}

void vamp_analyzer::deliver(const host::Plugin::FeatureSet& features, int64_t step) {
    auto it = features.find(output_index_);
    if (it == features.end()) return;
    auto& r = *result_;
    const auto& shape = mapper_->shape();
    for (auto& m : mapper_->map(it->second, step)) {
        if (shape.tmode == time_mode::framewise) {
            append_row(r, m.values);
            continue;
        }
        std::optional<int> label;
        if (shape.dmode == data_mode::label) label = label_id(m.label);
        if (keeping_rows()) {
            r.data.time.push_back(static_cast<double>(m.frame) / samplerate_);
            if (shape.tmode == time_mode::segment)
                r.data.duration.push_back(static_cast<double>(m.duration_frames) / samplerate_);
            if (label)
                r.data.label.push_back(*label);
            else
                r.data.value.insert(r.data.value.end(), m.values.begin(), m.values.end());
        }
        emit({r.id.id, m.frame + skipped_frames(), samplerate_, m.duration_frames, std::move(m.values), label});
    }
}

void vamp_analyzer::on_process(const block_ptr& b) {
    frames_in_ += b->frames();
    frames_->push(*b, [this](std::span<const float> w, int64_t) { run_window(w); });
}

// The stream's end as vamp-simple-host feeds it: the adapter's zero-padded last windows, cut or
// extended with silent blocks to the reference host's count; then the plugin's remaining features.
void vamp_analyzer::on_finish() {
    const int64_t blocks = reference_block_count(frames_in_, sizes_.block, sizes_.step);
    frames_->flush([&](std::span<const float> w, int64_t) {
        if (steps_ < blocks) run_window(w);
    });
    if (steps_ < blocks) {
        const std::vector<float> silence(static_cast<size_t>(sizes_.block) * static_cast<size_t>(input_channels_), 0.0f);
        while (steps_ < blocks) run_window(silence);
    }
    deliver(plugin_->getRemainingFeatures(), steps_);
}

}  // namespace timeside::vamp
