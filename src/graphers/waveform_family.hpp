// What the waveform renders share: their common parameters, lanes of peaks accumulated under a
// lock as blocks arrive, a render that copies the lanes out and draws each one in its band, and
// the peak geometry every member fills (one colour, one colour per column, or the outside).
#pragma once

#include <cairo.h>

#include <mutex>
#include <span>
#include <vector>

#include "core/grapher.hpp"
#include "graphers/lanes.hpp"

namespace timeside {

parameter_spec width_param();           // 1..16384, default 1024
parameter_spec height_param();          // 1..4096, default 256
parameter_spec split_channels_param();  // false: mono mixdown; true: one lane per channel

class waveform_grapher : public grapher {
public:
    // `info` declares width, height and split_channels; with bg_color the background is painted
    // opaque in it, without it the image is ARGB with a transparent background.
    waveform_grapher(const processor_info& info, parameter_set params);

    void setup(const stream_info& in) override;
    void process(const block_ptr& b) override;
    void finish() override;
    // Safe at any time, also while blocks arrive on the lane's thread: it draws what it has.
    std::vector<unsigned char> render_bytes() const override;

    int width() const { return width_; }
    int height() const { return height_; }
    // How many lanes a render draws now (1 until a split stream is set up).
    int lanes() const;

protected:
    // One lane as drawn: its peaks fitted to the width, and per-column values of the member's
    // own (waveform_centroid's colour positions), copied under the lock.
    struct lane_view {
        lane_peaks::columns peaks;
        std::vector<float> values;
    };

    // Hooks for members that accumulate more than peaks; called under the lock.
    virtual void on_setup(const stream_info&) {}
    virtual void on_process(const block&) {}
    virtual void on_finish() {}
    virtual std::vector<float> lane_values(int /*lane*/) const { return {}; }

    // Draws one lane; the context is clipped to the lane and its origin moved to the lane's top
    // left corner. Called outside the lock.
    virtual void draw_lane(cairo_t* cr, const lane_view& lane, int lane_height) const = 0;

    // The lock the hooks run under, for a member's own accessors.
    std::unique_lock<std::mutex> lock() const { return std::unique_lock(mutex_); }

private:
    const int width_, height_;
    const bool opaque_;
    const rgb background_;
    mutable std::mutex mutex_;  // render_bytes may run on another thread than process
    lane_peaks lanes_;
};

// The rows a column covers, y = h/2 - v * h/2 clipped at full scale; never less than one row, so
// silence is a crisp centre line.
struct peak_span {
    double top = 0, bottom = 0;
};
std::vector<peak_span> peak_spans(std::span<const float> mins, std::span<const float> maxs, int height);

// Fills the peaks as one path, in the current source: the max envelope left to right, then the
// min envelope right to left, one column per pixel of `mins.size()`, y = centre - v * height/2,
// clipped at full scale. A column is never less than one pixel tall, so silence is a thin line.
void fill_peaks(cairo_t* cr, std::span<const float> mins, std::span<const float> maxs, int height);
// The same shape cut out of the band [0, height): everything outside the peaks is filled.
void fill_outside_peaks(cairo_t* cr, std::span<const float> mins, std::span<const float> maxs, int height);
// Each column filled in its own colour (colors.size() == spans.size()).
void fill_peak_columns(cairo_t* cr, std::span<const peak_span> spans, std::span<const rgb> colors);

}  // namespace timeside
