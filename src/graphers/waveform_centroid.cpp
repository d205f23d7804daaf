// waveform_centroid: one centroid_columns per lane beside the family's peaks; at render each
// column's centroid picks its palette entry and the column is filled in it.
#include "graphers/waveform_centroid.hpp"

#include <algorithm>
#include <cmath>

#include "graphers/png_surface.hpp"

namespace timeside {

const processor_info& waveform_centroid::describe() {
    static const processor_info info{
        "waveform_centroid",
        "Waveform spectral",
        "1.0",
        "Min/max peaks per pixel column, coloured by the spectral centroid (log scale, 200 Hz to Nyquist) "
        "(PNG)",
        "",
        processor_kind::grapher,
        {width_param(), height_param(), color_param("bg_color", "background colour", "#000000"),
         color_scheme_param(), split_channels_param()}};
    return info;
}

waveform_centroid::waveform_centroid(parameter_set params)
    : waveform_grapher(describe(), std::move(params)),
      palette_(make_palette(color_scheme_stops(parameters().string("color_scheme")))),
      split_(parameters().boolean("split_channels")) {
    tracks_.emplace_back(width());
}

double waveform_centroid::palette_position(double hz, int samplerate) {
    const double upper = samplerate / 2.0;
    if (!(hz > 0) || upper <= lower_hz) return 0;
    const double clipped = std::clamp(hz, lower_hz, upper);
    return (std::log10(clipped) - std::log10(lower_hz)) / (std::log10(upper) - std::log10(lower_hz));
}

void waveform_centroid::on_setup(const stream_info& in) {
    const size_t n = split_ ? static_cast<size_t>(std::max(1, in.format.channels)) : 1;
    tracks_.clear();
    for (size_t i = 0; i < n; ++i) {
        tracks_.emplace_back(width());
        tracks_.back().reset(in.format.samplerate, in.total_frames);
    }
    samplerate_ = in.format.samplerate;
}

void waveform_centroid::on_process(const block& b) {
    for (size_t i = 0; i < tracks_.size(); ++i)
        tracks_[i].add(b.samples(), b.channels(), split_ ? static_cast<int>(i) : -1);
}

void waveform_centroid::on_finish() {
    for (auto& t : tracks_) t.finish();
}

std::vector<double> waveform_centroid::centroids(int lane) const {
    auto guard = lock();
    return tracks_.at(static_cast<size_t>(lane)).fit_hz(width());
}

std::vector<float> waveform_centroid::lane_values(int lane) const {
    std::vector<float> out;
    if (static_cast<size_t>(lane) >= tracks_.size()) return out;
    for (double hz : tracks_[static_cast<size_t>(lane)].fit_hz(width()))
        out.push_back(static_cast<float>(palette_position(hz, samplerate_)));
    return out;
}

void waveform_centroid::draw_lane(cairo_t* cr, const lane_view& lane, int lane_height) const {
    const auto spans = peak_spans(lane.peaks.mins, lane.peaks.maxs, lane_height);
    std::vector<rgb> colors(spans.size(), palette_.front());
    for (size_t x = 0; x < colors.size() && x < lane.values.size(); ++x)
        colors[x] = palette_at(palette_, lane.values[x]);
    fill_peak_columns(cr, spans, colors);
}

}  // namespace timeside
