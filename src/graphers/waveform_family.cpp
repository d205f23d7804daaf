// The waveform family's accumulation and drawing: blocks go into lane_peaks (and the member's
// hooks) under one mutex; a render copies the lanes out and draws without holding it, so a render
// never holds back the lane's thread for longer than the copy.
#include "graphers/waveform_family.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/errors.hpp"
#include "graphers/png_surface.hpp"

namespace timeside {

parameter_spec width_param() {
    return integer_param("width", "image width", 1024, 1, 16384, "px");
}

parameter_spec height_param() {
    return integer_param("height", "image height", 256, 1, 4096, "px");
}

parameter_spec split_channels_param() {
    return boolean_param("split_channels", "one lane per channel, top to bottom, instead of the mono mixdown",
                         false);
}

waveform_grapher::waveform_grapher(const processor_info& info, parameter_set params)
    : grapher(info, std::move(params)),
      width_(static_cast<int>(parameters().integer("width"))),
      height_(static_cast<int>(parameters().integer("height"))),
      opaque_(parameters().has("bg_color")),
      background_(opaque_ ? parameters().color("bg_color") : rgb{}),
      lanes_(width_, parameters().boolean("split_channels")) {}

void waveform_grapher::setup(const stream_info& in) {
    const int channels = std::max(1, in.format.channels);
    if (lanes_.split() && channels > height_)
        throw usage_error(
            fmt::format("{}: split_channels draws {} lanes: height must be at least {} (it is {})", id(),
                        channels, channels, height_));
    std::lock_guard lock(mutex_);
    lanes_.reset(channels, in.total_frames);
    on_setup(in);
}

void waveform_grapher::process(const block_ptr& b) {
    std::lock_guard lock(mutex_);
    lanes_.add(b->samples(), b->channels());
    on_process(*b);
}

void waveform_grapher::finish() {
    std::lock_guard lock(mutex_);
    lanes_.finish();
    on_finish();
}

int waveform_grapher::lanes() const {
    std::lock_guard lock(mutex_);
    return lanes_.count();
}

std::vector<unsigned char> waveform_grapher::render_bytes() const {
    std::vector<lane_view> views;
    {
        std::lock_guard lock(mutex_);
        for (int i = 0; i < lanes_.count(); ++i) views.push_back({lanes_.fit(i, width_), lane_values(i)});
    }
    auto surface = make_image_surface(width_, height_, opaque_ ? CAIRO_FORMAT_RGB24 : CAIRO_FORMAT_ARGB32);
    auto cr = make_context(surface.get());
    if (opaque_) {
        set_source(cr.get(), background_);
        cairo_paint(cr.get());
    }  // else: a new image surface is transparent black already
    const int n = static_cast<int>(views.size());
    for (int i = 0; i < n; ++i) {
        const lane_rect r = lane_of(i, n, height_);
        if (r.height < 1) continue;  // more channels than rows (refused at setup)
        cairo_save(cr.get());
        cairo_rectangle(cr.get(), 0, r.top, width_, r.height);
        cairo_clip(cr.get());
        cairo_translate(cr.get(), 0, r.top);
        draw_lane(cr.get(), views[static_cast<size_t>(i)], r.height);
        cairo_restore(cr.get());
    }
    return encode_png(surface.get());
}

std::vector<peak_span> peak_spans(std::span<const float> mins, std::span<const float> maxs, int height) {
    const size_t n = std::min(mins.size(), maxs.size());
    const double centre = height / 2.0, half = height / 2.0;
    auto y_of = [&](float v) {
        if (std::isnan(v)) v = 0;
        return centre - std::clamp(v, -1.0f, 1.0f) * half;
    };
    std::vector<peak_span> out(n);
    for (size_t x = 0; x < n; ++x) {
        double t = y_of(std::max(mins[x], maxs[x])), b = y_of(std::min(mins[x], maxs[x]));
        if (b - t < 1.0) {
            // Less than a pixel: snap to the whole row holding the middle, so silence is one
            // crisp row rather than two half-grey ones.
            t = std::clamp(std::floor((t + b) / 2), 0.0, std::max(0.0, height - 1.0));
            b = t + 1;
        }
        out[x] = {t, b};
    }
    return out;
}

namespace {

// Steps, not a polyline through column centres: each column covers exactly its pixel.
void append_peaks_path(cairo_t* cr, std::span<const peak_span> s) {
    const size_t n = s.size();
    cairo_move_to(cr, 0, s[0].top);
    for (size_t x = 0; x < n; ++x) {
        cairo_line_to(cr, static_cast<double>(x), s[x].top);
        cairo_line_to(cr, static_cast<double>(x + 1), s[x].top);
    }
    for (size_t x = n; x-- > 0;) {
        cairo_line_to(cr, static_cast<double>(x + 1), s[x].bottom);
        cairo_line_to(cr, static_cast<double>(x), s[x].bottom);
    }
    cairo_close_path(cr);
}

}  // namespace

void fill_peaks(cairo_t* cr, std::span<const float> mins, std::span<const float> maxs, int height) {
    const auto spans = peak_spans(mins, maxs, height);
    if (spans.empty()) return;
    cairo_new_path(cr);
    append_peaks_path(cr, spans);
    cairo_fill(cr);
}

void fill_outside_peaks(cairo_t* cr, std::span<const float> mins, std::span<const float> maxs, int height) {
    const auto spans = peak_spans(mins, maxs, height);
    if (spans.empty()) return;
    cairo_new_path(cr);
    cairo_rectangle(cr, 0, 0, static_cast<double>(spans.size()), height);
    append_peaks_path(cr, spans);
    cairo_save(cr);
    cairo_set_fill_rule(cr, CAIRO_FILL_RULE_EVEN_ODD);
    cairo_fill(cr);
    cairo_restore(cr);
}

void fill_peak_columns(cairo_t* cr, std::span<const peak_span> spans, std::span<const rgb> colors) {
    const size_t n = std::min(spans.size(), colors.size());
    for (size_t x = 0; x < n; ++x) {
        set_source(cr, colors[x]);
        cairo_rectangle(cr, static_cast<double>(x), spans[x].top, 1.0, spans[x].bottom - spans[x].top);
        cairo_fill(cr);
    }
}

}  // namespace timeside
