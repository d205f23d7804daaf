// waveform_simple: peaks accumulated per block under a short lock; the drawing happens at render
// time on a copy, so a render never holds back the lane.
#include "graphers/waveform_simple.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "graphers/png_surface.hpp"

namespace timeside {

const processor_info& waveform_simple::describe() {
    static const processor_info info{"waveform_simple",
                                     "Waveform simple",
                                     "1.0",
                                     "Min/max peaks of the mono mixdown, one per pixel column (PNG)",
                                     "",
                                     processor_kind::grapher,
                                     {integer_param("width", "image width", 1024, 1, 16384, "px"),
                                      integer_param("height", "image height", 256, 1, 4096, "px"),
                                      color_param("bg_color", "background colour", "#ffffff"),
                                      color_param("color", "colour of the peaks", "#000000")}};
    return info;
}

waveform_simple::waveform_simple(parameter_set params)
    : grapher(describe(), std::move(params)),
      width_(static_cast<int>(parameters().integer("width"))),
      height_(static_cast<int>(parameters().integer("height"))),
      background_(parameters().color("bg_color")),
      foreground_(parameters().color("color")),
      peaks_(width_) {}

void waveform_simple::setup(const stream_info& in) {
    std::lock_guard lock(mutex_);
    peaks_.reset(width_, in.total_frames);
}

void waveform_simple::process(const block_ptr& b) {
    std::lock_guard lock(mutex_);
    peaks_.add(b->samples(), b->channels());
}

void waveform_simple::finish() {
    std::lock_guard lock(mutex_);
    peaks_.finish();
}

peaks waveform_simple::snapshot() const {
    std::lock_guard lock(mutex_);
    return peaks_;
}

std::vector<unsigned char> waveform_simple::render_bytes() const {
    std::vector<float> mins(static_cast<size_t>(width_)), maxs(static_cast<size_t>(width_));
    {
        std::lock_guard lock(mutex_);
        peaks_.fit(mins, maxs);
    }
    auto surface = make_image_surface(width_, height_);
    auto cr = make_context(surface.get());
    set_source(cr.get(), background_);
    cairo_paint(cr.get());
    set_source(cr.get(), foreground_);
    fill_peaks(cr.get(), mins, maxs, height_);
    return encode_png(surface.get());
}

void fill_peaks(cairo_t* cr, std::span<const float> mins, std::span<const float> maxs, int height) {
    const size_t n = std::min(mins.size(), maxs.size());
    if (n == 0) return;
    const double centre = height / 2.0, half = height / 2.0;
    auto y_of = [&](float v) {
        if (std::isnan(v)) v = 0;
        return centre - std::clamp(v, -1.0f, 1.0f) * half;
    };
    std::vector<double> top(n), bottom(n);
    for (size_t x = 0; x < n; ++x) {
        double t = y_of(std::max(mins[x], maxs[x])), b = y_of(std::min(mins[x], maxs[x]));
        if (b - t < 1.0) {
            // Less than a pixel: snap to the whole row holding the middle, so silence is one
            // crisp row rather than two half-grey ones.
            t = std::clamp(std::floor((t + b) / 2), 0.0, std::max(0.0, height - 1.0));
            b = t + 1;
        }
        top[x] = t;
        bottom[x] = b;
    }
    // Steps, not a polyline through column centres: each column covers exactly its pixel.
    cairo_new_path(cr);
    cairo_move_to(cr, 0, top[0]);
    for (size_t x = 0; x < n; ++x) {
        cairo_line_to(cr, static_cast<double>(x), top[x]);
        cairo_line_to(cr, static_cast<double>(x + 1), top[x]);
    }
    for (size_t x = n; x-- > 0;) {
        cairo_line_to(cr, static_cast<double>(x + 1), bottom[x]);
        cairo_line_to(cr, static_cast<double>(x), bottom[x]);
    }
    cairo_close_path(cr);
    cairo_fill(cr);
}

}  // namespace timeside
