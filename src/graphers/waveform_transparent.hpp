// waveform_transparent (TimeSide's id): the peaks in one colour (white by default) on a fully
// transparent background, an ARGB PNG to lay over a page or another image; `inverted` draws
// TimeSide's cut-out instead (everything but the peaks painted).
#pragma once

#include "graphers/waveform_family.hpp"

namespace timeside {

class waveform_transparent : public waveform_grapher {
public:
    static const processor_info& describe();
    explicit waveform_transparent(parameter_set params);

protected:
    void draw_lane(cairo_t* cr, const lane_view& lane, int lane_height) const override;

private:
    const rgb foreground_;
    const bool inverted_;
};

}  // namespace timeside
