// waveform_centroid (TimeSide's WaveformCentroid): min/max peaks per pixel column, each column
// coloured by the spectral centroid of the audio under it, placed on a log scale from 200 Hz to
// Nyquist along the colour scheme's palette.
#pragma once

#include <vector>

#include "graphers/centroid_columns.hpp"
#include "graphers/color_schemes.hpp"
#include "graphers/waveform_family.hpp"

namespace timeside {

class waveform_centroid : public waveform_grapher {
public:
    static const processor_info& describe();
    explicit waveform_centroid(parameter_set params);

    static constexpr double lower_hz = 200;  // TimeSide's lower_freq for this grapher

    // The centroid in Hz of each image column of a lane (0 where silent), as drawn.
    std::vector<double> centroids(int lane = 0) const;
    // A centroid's place along the palette: log10 of it clipped to [200 Hz, Nyquist], scaled to
    // [0, 1]; 0 for no centroid (TimeSide's colour for silence).
    static double palette_position(double hz, int samplerate);

protected:
    void on_setup(const stream_info& in) override;
    void on_process(const block& b) override;
    void on_finish() override;
    std::vector<float> lane_values(int lane) const override;
    void draw_lane(cairo_t* cr, const lane_view& lane, int lane_height) const override;

private:
    const palette palette_;
    const bool split_;
    int samplerate_ = 0;
    std::vector<centroid_columns> tracks_;  // one per lane
};

}  // namespace timeside
