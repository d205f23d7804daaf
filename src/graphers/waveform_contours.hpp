// waveform_contour_black / waveform_contour_white (TimeSide's ids): the smoothed amplitude
// envelope, normalised and bent by expm1, drawn as four nested contours mirrored about the centre
// line, in greys that brighten inwards on black or darken outwards on white.
#pragma once

#include <vector>

#include "graphers/waveform_family.hpp"

namespace timeside {

// The contour's shape, in [0, 1) per column, from one lane's peaks: the columns' peak amplitude
// smoothed by a 15-tap Hann moving average (odd reflection at the ends), divided by its largest
// value (silence reads 0), then bent as (e^c - 1) / (e - 1) and scaled by 1 - 1e-6 (TimeSide's).
std::vector<double> contour_shape(std::span<const float> mins, std::span<const float> maxs);

// The four curves' scales (cumulative products of acos(i/4) * 2/pi) and grey levels for a line
// colour offset (TimeSide: 160 on black, 60 on white).
constexpr int contour_curves = 4;
double contour_scale(int curve);
int contour_grey(int curve, int offset);

class waveform_contour : public waveform_grapher {
public:
    waveform_contour(const processor_info& info, parameter_set params, int grey_offset);

protected:
    void draw_lane(cairo_t* cr, const lane_view& lane, int lane_height) const override;

private:
    const int grey_offset_;
};

class waveform_contour_black : public waveform_contour {
public:
    static const processor_info& describe();
    explicit waveform_contour_black(parameter_set params);
};

class waveform_contour_white : public waveform_contour {
public:
    static const processor_info& describe();
    explicit waveform_contour_white(parameter_set params);
};

}  // namespace timeside
