// waveform_simple: the family's lanes, each filled in the one foreground colour.
#include "graphers/waveform_simple.hpp"

#include "graphers/png_surface.hpp"

namespace timeside {

const processor_info& waveform_simple::describe() {
    static const processor_info info{
        "waveform_simple",
        "Waveform simple",
        "1.0",
        "Min/max peaks of the mono mixdown (or one lane per channel), one per pixel column (PNG)",
        "",
        processor_kind::grapher,
        {width_param(), height_param(), color_param("bg_color", "background colour", "#ffffff"),
         color_param("color", "colour of the peaks", "#000000"), split_channels_param()}};
    return info;
}

waveform_simple::waveform_simple(parameter_set params)
    : waveform_grapher(describe(), std::move(params)), foreground_(parameters().color("color")) {}

void waveform_simple::draw_lane(cairo_t* cr, const lane_view& lane, int lane_height) const {
    set_source(cr, foreground_);
    fill_peaks(cr, lane.peaks.mins, lane.peaks.maxs, lane_height);
}

}  // namespace timeside
