// Helpers for the waveform render tests: any registered grapher run through a real pipe over
// generated samples (known or unknown length), and pixels read back from the decoded PNG with
// their alpha, so each test checks what a user would see.
#pragma once

#include <cairo.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "../array_source.hpp"
#include "core/grapher.hpp"
#include "core/pipe.hpp"
#include "core/registry.hpp"
#include "decoders/array_decoder.hpp"
#include "graphers/png_surface.hpp"

namespace timeside::test {

constexpr int render_rate = 44100;

// The grapher `id` with `params` ("width=64,height=32"), after a run over the samples.
template <class T = grapher>
std::shared_ptr<T> run_grapher(const std::string& id, const std::string& params, std::vector<float> samples,
                               int channels, bool known_length = true, int rate = render_rate) {
    auto g = std::dynamic_pointer_cast<T>(get_processor(id, parse_kv_list(params)));
    timeside::pipe p(make_source(std::move(samples), channels, known_length, rate, 1000));
    p.add(g);
    p.run();
    return g;
}

// A decoded render: size, and each pixel as straight (not premultiplied) 0xAARRGGBB.
class image {
public:
    explicit image(const std::vector<unsigned char>& png) : surface_(decode_png(png)) {
        cairo_surface_flush(surface_.get());
    }
    int width() const { return cairo_image_surface_get_width(surface_.get()); }
    int height() const { return cairo_image_surface_get_height(surface_.get()); }
    bool has_alpha() const { return cairo_image_surface_get_format(surface_.get()) == CAIRO_FORMAT_ARGB32; }

    uint32_t argb(int x, int y) const {
        const unsigned char* row = cairo_image_surface_get_data(surface_.get()) +
                                   static_cast<ptrdiff_t>(y) * cairo_image_surface_get_stride(surface_.get());
        uint32_t v;
        std::memcpy(&v, row + static_cast<ptrdiff_t>(x) * 4, 4);
        if (!has_alpha()) return v | 0xff000000u;
        const uint32_t a = v >> 24;
        if (a == 0 || a == 255) return v;
        auto un = [a](uint32_t c) { return std::min<uint32_t>(255, (c * 255 + a / 2) / a); };
        return (a << 24) | (un((v >> 16) & 0xff) << 16) | (un((v >> 8) & 0xff) << 8) | un(v & 0xff);
    }
    uint32_t rgb(int x, int y) const { return argb(x, y) & 0xffffffu; }
    int alpha(int x, int y) const { return static_cast<int>(argb(x, y) >> 24); }

    // Rows of column x in [top, bottom) whose pixel differs from `background` (0xAARRGGBB); the
    // first and last such row, -1 if none.
    struct extent {
        int top = -1, bottom = -1;
        int rows() const { return top < 0 ? 0 : bottom - top + 1; }
    };
    extent column_extent(int x, uint32_t background, int top = 0, int bottom = -1) const {
        if (bottom < 0) bottom = height();
        extent e;
        for (int y = top; y < bottom; ++y) {
            if (argb(x, y) == background) continue;
            if (e.top < 0) e.top = y;
            e.bottom = y;
        }
        return e;
    }
    // The fraction of all pixels equal to `value` (0xAARRGGBB).
    double fraction_of(uint32_t value) const {
        int64_t n = 0;
        for (int y = 0; y < height(); ++y)
            for (int x = 0; x < width(); ++x) n += argb(x, y) == value;
        return static_cast<double>(n) / (static_cast<double>(width()) * height());
    }

private:
    cairo_surface_ptr surface_;
};

}  // namespace timeside::test
