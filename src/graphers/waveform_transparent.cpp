// waveform_transparent: the family's lanes on an ARGB surface left transparent (no bg_color).
#include "graphers/waveform_transparent.hpp"

#include "graphers/png_surface.hpp"

namespace timeside {

const processor_info& waveform_transparent::describe() {
    static const processor_info info{
        "waveform_transparent",
        "Waveform transparent",
        "1.0",
        "Min/max peaks per pixel column on a transparent background (ARGB PNG)",
        "",
        processor_kind::grapher,
        {width_param(), height_param(), color_param("color", "colour of the peaks", "#ffffff"),
         boolean_param("inverted", "paint everything but the peaks, which stay transparent (TimeSide's mask)",
                       false),
         split_channels_param()}};
    return info;
}

waveform_transparent::waveform_transparent(parameter_set params)
    : waveform_grapher(describe(), std::move(params)),
      foreground_(parameters().color("color")),
      inverted_(parameters().boolean("inverted")) {}

void waveform_transparent::draw_lane(cairo_t* cr, const lane_view& lane, int lane_height) const {
    set_source(cr, foreground_);
    if (inverted_)
        fill_outside_peaks(cr, lane.peaks.mins, lane.peaks.maxs, lane_height);
    else
        fill_peaks(cr, lane.peaks.mins, lane.peaks.maxs, lane_height);
}

}  // namespace timeside
