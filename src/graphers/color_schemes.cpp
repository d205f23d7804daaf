// The colour stops are TimeSide's own values (timeside/plugins/grapher/color_schemes.py, the
// 'waveform' entries), taken as facts so our renders read the same to its users.
#include "graphers/color_schemes.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace timeside {

namespace {

struct scheme {
    std::string_view name;
    std::array<rgb, 4> stops;
};

constexpr std::array<scheme, 4> schemes{{
    {"default", {{{50, 0, 200}, {0, 220, 80}, {255, 224, 0}, {255, 0, 0}}}},
    {"iso", {{{0, 0, 255}, {0, 255, 255}, {255, 255, 0}, {255, 0, 0}}}},
    {"purple", {{{173, 173, 173}, {147, 149, 196}, {77, 80, 138}, {108, 66, 0}}}},
    {"awdio", {{{255, 255, 255}, {255, 255, 255}, {255, 255, 255}, {255, 255, 255}}}},
}};

}  // namespace

const std::vector<std::string>& color_scheme_names() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> out;
        for (const auto& s : schemes) out.emplace_back(s.name);
        return out;
    }();
    return names;
}

std::span<const rgb> color_scheme_stops(std::string_view name) {
    for (const auto& s : schemes)
        if (s.name == name) return s.stops;
    throw std::invalid_argument("unknown colour scheme '" + std::string(name) + "'");
}

parameter_spec color_scheme_param() {
    return choice_param("color_scheme", "TimeSide's colour scheme", "default", color_scheme_names());
}

palette make_palette(std::span<const rgb> stops) {
    if (stops.empty()) throw std::invalid_argument("make_palette: no colour stops");
    palette out{};
    const size_t last = stops.size() - 1;
    for (size_t i = 0; i < out.size(); ++i) {
        const double at = static_cast<double>(i * last) / 255.0;
        const auto k = std::min(static_cast<size_t>(at), last);
        const double a = at - static_cast<double>(k);
        const rgb& lo = stops[k];
        const rgb& hi = stops[std::min(k + 1, last)];
        auto mix = [a](uint8_t x, uint8_t y) {
            return static_cast<uint8_t>((1.0 - a) * x + a * y);  // truncates, as int() does
        };
        out[i] = {mix(lo.r, hi.r), mix(lo.g, hi.g), mix(lo.b, hi.b)};
    }
    return out;
}

rgb palette_at(const palette& p, double v) {
    if (!(v > 0)) return p.front();  // also NaN
    if (v >= 1) return p.back();
    return p[static_cast<size_t>(v * 255.0)];
}

}  // namespace timeside
