// waveform_contours: the shape is computed at render time from the lane's fitted peaks (the
// accumulation is the family's, so memory stays fixed by the width); each curve is one stroked
// polyline above the centre and its mirror below.
#include "graphers/waveform_contours.hpp"

#include <algorithm>
#include <cmath>

#include "graphers/png_surface.hpp"

namespace timeside {

namespace {

constexpr int smooth_taps = 15;

// Hann-weighted moving average; past the ends the signal continues as its odd reflection about
// the end point (2 x[0] - x[k]), which keeps a slope going instead of bending it flat.
std::vector<double> smooth(const std::vector<double>& x) {
    const auto n = static_cast<int64_t>(x.size());
    const int taps = static_cast<int>(std::min<int64_t>(smooth_taps, n % 2 == 0 ? n - 1 : n));
    if (taps < 3) return x;
    std::vector<double> w(static_cast<size_t>(taps));
    double sum = 0;
    for (int j = 0; j < taps; ++j) {
        const double s = std::sin(M_PI * (j + 1) / (taps + 1));
        sum += w[static_cast<size_t>(j)] = s * s;
    }
    auto at = [&](int64_t k) {
        if (k < 0) return 2 * x.front() - x[static_cast<size_t>(std::min(-k, n - 1))];
        if (k >= n) return 2 * x.back() - x[static_cast<size_t>(std::max<int64_t>(2 * (n - 1) - k, 0))];
        return x[static_cast<size_t>(k)];
    };
    std::vector<double> y(x.size());
    const int half = taps / 2;
    for (int64_t i = 0; i < n; ++i) {
        double acc = 0;
        for (int j = 0; j < taps; ++j) acc += w[static_cast<size_t>(j)] * at(i + j - half);
        y[static_cast<size_t>(i)] = acc / sum;
    }
    return y;
}

}  // namespace

std::vector<double> contour_shape(std::span<const float> mins, std::span<const float> maxs) {
    const size_t n = std::min(mins.size(), maxs.size());
    std::vector<double> env(n);
    for (size_t x = 0; x < n; ++x) {
        const double a =
            std::max(std::fabs(static_cast<double>(mins[x])), std::fabs(static_cast<double>(maxs[x])));
        env[x] = std::isfinite(a) ? std::min(a, 1.0) : 0.0;
    }
    auto c = smooth(env);
    if (c.empty()) return c;
    // Relative to the loudest column, without TimeSide's subtraction of the quietest: that would
    // blow a near-constant envelope's ripple up to the full height (and divide by zero on a
    // constant one); where the quietest is silence, as usual, the two agree.
    const double peak = *std::max_element(c.begin(), c.end());
    const double top = std::expm1(1.0);
    for (auto& v : c) {
        const double u = peak > 1e-9 ? std::clamp(v / peak, 0.0, 1.0) : 0.0;
        v = std::expm1(u) / top * (1 - 1e-6);
    }
    return c;
}

double contour_scale(int curve) {
    double scale = 1;
    for (int i = 0; i <= curve; ++i) scale *= std::acos(static_cast<double>(i) / contour_curves) * 2 / M_PI;
    return scale;
}

int contour_grey(int curve, int offset) {
    const int fade = static_cast<int>(255 * (1 - static_cast<double>(curve) / (contour_curves * 2)));
    return std::clamp(255 - fade + offset, 0, 255);
}

waveform_contour::waveform_contour(const processor_info& info, parameter_set params, int grey_offset)
    : waveform_grapher(info, std::move(params)), grey_offset_(grey_offset) {}

void waveform_contour::draw_lane(cairo_t* cr, const lane_view& lane, int lane_height) const {
    const auto shape = contour_shape(lane.peaks.mins, lane.peaks.maxs);
    if (shape.empty()) return;
    const double centre = std::floor(lane_height / 2.0) + 0.5;  // a pixel row's middle: crisp when flat
    const double reach = std::max(0.0, lane_height / 2.0 - 1);
    cairo_set_line_width(cr, 1.0);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    for (int i = 0; i < contour_curves; ++i) {
        const auto grey = static_cast<uint8_t>(contour_grey(i, grey_offset_));
        set_source(cr, rgb{grey, grey, grey});
        const double scale = reach * contour_scale(i);
        for (double side : {-1.0, 1.0}) {
            cairo_new_path(cr);
            cairo_move_to(cr, 0, centre + side * scale * shape.front());
            for (size_t x = 0; x < shape.size(); ++x)
                cairo_line_to(cr, static_cast<double>(x) + 0.5, centre + side * scale * shape[x]);
            cairo_line_to(cr, static_cast<double>(shape.size()), centre + side * scale * shape.back());
            cairo_stroke(cr);
        }
    }
}

namespace {

std::vector<parameter_spec> contour_params(const char* background) {
    return {width_param(), height_param(), color_param("bg_color", "background colour", background),
            split_channels_param()};
}

}  // namespace

const processor_info& waveform_contour_black::describe() {
    static const processor_info info{"waveform_contour_black",
                                     "Contour black",
                                     "1.0",
                                     "Smoothed amplitude envelope as four grey contours on black (PNG)",
                                     "",
                                     processor_kind::grapher,
                                     contour_params("#000000")};
    return info;
}

waveform_contour_black::waveform_contour_black(parameter_set params)
    : waveform_contour(describe(), std::move(params), 160) {}

const processor_info& waveform_contour_white::describe() {
    static const processor_info info{"waveform_contour_white",
                                     "Contour white",
                                     "1.0",
                                     "Smoothed amplitude envelope as four grey contours on white (PNG)",
                                     "",
                                     processor_kind::grapher,
                                     contour_params("#ffffff")};
    return info;
}

waveform_contour_white::waveform_contour_white(parameter_set params)
    : waveform_contour(describe(), std::move(params), 60) {}

}  // namespace timeside
