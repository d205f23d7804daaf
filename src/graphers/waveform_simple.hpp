// waveform_simple (TimeSide's id): the min/max peaks of the mono mixdown (or of each channel in
// its own lane), one pixel column each, filled in one colour on a plain background, to PNG.
#pragma once

#include "graphers/waveform_family.hpp"

namespace timeside {

class waveform_simple : public waveform_grapher {
public:
    static const processor_info& describe();
    explicit waveform_simple(parameter_set params);

protected:
    void draw_lane(cairo_t* cr, const lane_view& lane, int lane_height) const override;

private:
    const rgb foreground_;
};

}  // namespace timeside
