// Aggregates per result and interval; a row whose width differs from the interval's (it should not)
// closes the interval early rather than mix shapes. While an interval is open, `mean` holds the
// running sum (of values, or of powers weighted by frames); close() turns it into the value.
#include "server/events/decimator.hpp"

#include <algorithm>
#include <cmath>

namespace timeside::server::events {

namespace {
int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

double row_weight(const analysis_event& e) { return e.duration_frames > 0 ? static_cast<double>(e.duration_frames) : 1.0; }
double power(double db) { return std::pow(10.0, db / 10.0); }
}  // namespace

void decimator::start(pending& p, const analysis_event& e) {
    interval_values& v = p.values;
    v.result_id = e.result_id;
    v.samplerate = e.samplerate;
    v.frame = e.frame;
    v.end_frame = e.frame + e.duration_frames;
    v.count = 1;
    v.mean = e.values;
    v.min = e.values;
    v.max = e.values;
    p.weight = 0;
    if (p.how == aggregation::power_mean) {
        p.weight = row_weight(e);
        for (double& x : v.mean) x = p.weight * power(x);
    }
}

void decimator::accumulate(pending& p, const analysis_event& e) {
    interval_values& v = p.values;
    const double w = row_weight(e);
    for (size_t i = 0; i < e.values.size(); ++i) {
        if (p.how == aggregation::power_mean) v.mean[i] += w * power(e.values[i]);
        else v.mean[i] += e.values[i];
        v.min[i] = std::min(v.min[i], e.values[i]);
        v.max[i] = std::max(v.max[i], e.values[i]);
    }
    p.weight += w;
    ++v.count;
    v.frame = std::min(v.frame, e.frame);
    v.end_frame = std::max(v.end_frame, e.frame + e.duration_frames);
}

interval_values decimator::close(pending& p) {
    interval_values done = std::move(p.values);
    switch (p.how) {
        case aggregation::mean:
            for (double& x : done.mean) x /= static_cast<double>(done.count);
            break;
        case aggregation::max: done.mean = done.max; break;
        case aggregation::power_mean:
            // Back to dB, kept within the rows' extremes where it lies but for rounding (one row
            // reads back as itself, not an ulp beside it). NaN rows make it NaN (null in JSON).
            for (size_t i = 0; i < done.mean.size(); ++i) {
                const double db = 10.0 * std::log10(done.mean[i] / p.weight);
                done.mean[i] = std::isnan(db) ? db : std::clamp(db, done.min[i], done.max[i]);
            }
            break;
    }
    return done;
}

decimator::decimator(int rate, int samplerate)
    : rate_(rate), interval_frames_(std::max<int64_t>(1, std::llround(static_cast<double>(samplerate) / std::max(1, rate)))) {}

std::optional<interval_values> decimator::add(const analysis_event& e, aggregation how) {
    const int64_t interval = floor_div(e.frame, interval_frames_);
    auto [it, fresh] = pending_.try_emplace(e.result_id);
    pending& p = it->second;
    if (fresh) {
        p.interval = interval;
        p.how = how;
        start(p, e);
        return std::nullopt;
    }
    if (interval == p.interval && e.values.size() == p.values.mean.size() && how == p.how) {
        accumulate(p, e);
        return std::nullopt;
    }
    interval_values done = close(p);
    p.interval = interval;
    p.how = how;
    start(p, e);
    return done;
}

std::vector<interval_values> decimator::flush() {
    std::vector<interval_values> out;
    for (auto& [id, p] : pending_) out.push_back(close(p));
    pending_.clear();
    // In stream order, as add() would have returned them.
    std::sort(out.begin(), out.end(), [](const interval_values& a, const interval_values& b) {
        return a.frame != b.frame ? a.frame < b.frame : a.result_id < b.result_id;
    });
    return out;
}

}  // namespace timeside::server::events
