// TimeSide's "dummy" plugin, built outside the tree against the installed headers: an analyzer
// with one parameter that gives, for each window of `blocksize` frames, its peak absolute sample
// (all channels). Copy this folder, rename the processor, and code it (docs/plugins.md).
#include <algorithm>
#include <cmath>
#include <optional>
#include <span>

#include <core/analyzer.hpp>
#include <core/frame_adapter.hpp>
#include <core/plugin_api.hpp>

namespace dummy {

using namespace timeside;

class dummy_analyzer : public analyzer {
public:
    // What `timeside list` shows and what the one validator checks parameters against.
    static const processor_info& describe() {
        static const processor_info info{
            "dummy", "Dummy analyzer", "1.0", "Peak absolute sample of each window (a plugin example)", "",
            processor_kind::analyzer,
            {integer_param("blocksize", "frames per window; windows do not overlap", 1024, 16, 65536, "frames")}};
        return info;
    }

    explicit dummy_analyzer(parameter_set params) : analyzer(describe(), std::move(params)) {}

protected:
    void on_setup(const stream_info& in) override {
        const int size = static_cast<int>(parameters().integer("blocksize"));
        windows_.emplace(in.format.channels, size, size, false);
        result_ = &new_framewise_result("", "", 0, size, size);
    }

    void on_process(const block_ptr& b) override {
        windows_->push(*b, [this](std::span<const float> w, int64_t) { add_row(w); });
    }

    void on_finish() override {
        windows_->flush([this](std::span<const float> w, int64_t) { add_row(w); });
    }

private:
    void add_row(std::span<const float> window) {
        double peak = 0;
        for (float x : window) peak = std::max(peak, static_cast<double>(std::fabs(x)));
        append_row(*result_, std::span<const double>(&peak, 1));
    }

    std::optional<frame_adapter> windows_;
    analyzer_result* result_ = nullptr;
};

void register_processors(plugin_registrar& r) { r.add<dummy_analyzer>(); }

}  // namespace dummy

TIMESIDE_PLUGIN("dummy", dummy::register_processors)
