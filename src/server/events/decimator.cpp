// Aggregates per result and interval; a row whose width differs from the interval's (it should not)
// closes the interval early rather than mix shapes.
#include "server/events/decimator.hpp"

#include <algorithm>
#include <cmath>

namespace timeside::server::events {

namespace {
int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

void start(interval_values& v, const analysis_event& e) {
    v.result_id = e.result_id;
    v.samplerate = e.samplerate;
    v.frame = e.frame;
    v.end_frame = e.frame + e.duration_frames;
    v.count = 1;
    v.mean = e.values;  // a sum until the interval closes
    v.min = e.values;
    v.max = e.values;
}
}  // namespace

decimator::decimator(int rate, int samplerate)
    : rate_(rate), interval_frames_(std::max<int64_t>(1, std::llround(static_cast<double>(samplerate) / std::max(1, rate)))) {}

std::optional<interval_values> decimator::add(const analysis_event& e) {
    const int64_t interval = floor_div(e.frame, interval_frames_);
    auto [it, fresh] = pending_.try_emplace(e.result_id);
    pending& p = it->second;
    if (fresh) {
        p.interval = interval;
        start(p.values, e);
        return std::nullopt;
    }
    if (interval == p.interval && e.values.size() == p.values.mean.size()) {
        auto& v = p.values;
        for (size_t i = 0; i < e.values.size(); ++i) {
            v.mean[i] += e.values[i];
            v.min[i] = std::min(v.min[i], e.values[i]);
            v.max[i] = std::max(v.max[i], e.values[i]);
        }
        ++v.count;
        v.frame = std::min(v.frame, e.frame);
        v.end_frame = std::max(v.end_frame, e.frame + e.duration_frames);
        return std::nullopt;
    }
    interval_values done = std::move(p.values);
    for (double& x : done.mean) x /= static_cast<double>(done.count);
    p.interval = interval;
    start(p.values, e);
    return done;
}

std::vector<interval_values> decimator::flush() {
    std::vector<interval_values> out;
    for (auto& [id, p] : pending_) {
        interval_values done = std::move(p.values);
        for (double& x : done.mean) x /= static_cast<double>(done.count);
        out.push_back(std::move(done));
    }
    pending_.clear();
    // In stream order, as add() would have returned them.
    std::sort(out.begin(), out.end(), [](const interval_values& a, const interval_values& b) {
        return a.frame != b.frame ? a.frame < b.frame : a.result_id < b.result_id;
    });
    return out;
}

}  // namespace timeside::server::events
