// waveform_simple (TimeSide's id): the min/max peaks of the mono mixdown, one pixel column each,
// filled in one colour on a plain background, rendered to PNG through Cairo.
#pragma once

#include <cairo.h>

#include <mutex>
#include <span>

#include "core/grapher.hpp"
#include "graphers/peaks.hpp"

namespace timeside {

class waveform_simple : public grapher {
public:
    static const processor_info& describe();
    explicit waveform_simple(parameter_set params);

    void setup(const stream_info& in) override;
    void process(const block_ptr& b) override;
    void finish() override;
    // Safe at any time, also while blocks arrive on the lane's thread: it draws what it has.
    std::vector<unsigned char> render_bytes() const override;

    // A copy of the accumulator, consistent even while blocks arrive.
    peaks snapshot() const;

private:
    const int width_, height_;
    const rgb background_, foreground_;
    mutable std::mutex mutex_;  // render_bytes may run on another thread than process
    peaks peaks_;
};

// Fills the peaks as one path, in the current source: the max envelope left to right, then the
// min envelope right to left, one column per pixel of `mins.size()`, y = centre - v * height/2,
// clipped at full scale. A column is never less than one pixel tall, so silence is a thin line.
void fill_peaks(cairo_t* cr, std::span<const float> mins, std::span<const float> maxs, int height);

}  // namespace timeside
