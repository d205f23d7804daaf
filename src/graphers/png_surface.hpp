// RAII for Cairo image surfaces and contexts, and PNG encoding to / decoding from memory, so
// graphers render without touching the disk (the grapher base writes the file atomically).
#pragma once

#include <cairo.h>

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/parameters.hpp"

namespace timeside {

struct cairo_surface_deleter {
    void operator()(cairo_surface_t* s) const {
        if (s) cairo_surface_destroy(s);
    }
};
using cairo_surface_ptr = std::unique_ptr<cairo_surface_t, cairo_surface_deleter>;

struct cairo_deleter {
    void operator()(cairo_t* c) const {
        if (c) cairo_destroy(c);
    }
};
using cairo_ptr = std::unique_ptr<cairo_t, cairo_deleter>;

// An image surface; throws processing_error with Cairo's reason (out of memory, bad size).
cairo_surface_ptr make_image_surface(int width, int height, cairo_format_t format = CAIRO_FORMAT_RGB24);
cairo_ptr make_context(cairo_surface_t* surface);

void set_source(cairo_t* cr, const rgb& color);

// The surface as PNG bytes (cairo_surface_write_to_png_stream into a vector).
std::vector<unsigned char> encode_png(cairo_surface_t* surface);
// PNG bytes back into an image surface (tests, compositing); throws processing_error if invalid.
cairo_surface_ptr decode_png(std::span<const unsigned char> png);

// Pixel (x, y) of an RGB24 or ARGB32 image surface, as 0xRRGGBB (alpha dropped). The caller
// flushes the surface first if it drew on it.
uint32_t pixel_rgb(cairo_surface_t* surface, int x, int y);

}  // namespace timeside
