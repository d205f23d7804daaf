// Cairo image surfaces and in-memory PNG streams.
#include "graphers/png_surface.hpp"

#include <fmt/format.h>

#include <cstring>

#include "core/errors.hpp"

namespace timeside {

cairo_surface_ptr make_image_surface(int width, int height, cairo_format_t format) {
    cairo_surface_ptr s(cairo_image_surface_create(format, width, height));
    // Cairo returns an inert error surface rather than null; its status says why.
    if (const auto st = cairo_surface_status(s.get()); st != CAIRO_STATUS_SUCCESS)
        throw processing_error(
            fmt::format("cannot create a {}x{} image: {}", width, height, cairo_status_to_string(st)));
    return s;
}

cairo_ptr make_context(cairo_surface_t* surface) {
    cairo_ptr cr(cairo_create(surface));
    if (const auto st = cairo_status(cr.get()); st != CAIRO_STATUS_SUCCESS)
        throw processing_error(fmt::format("cannot draw on an image: {}", cairo_status_to_string(st)));
    return cr;
}

void set_source(cairo_t* cr, const rgb& color) {
    cairo_set_source_rgb(cr, color.r / 255.0, color.g / 255.0, color.b / 255.0);
}

namespace {

cairo_status_t append_bytes(void* closure, const unsigned char* data, unsigned int length) {
    auto* out = static_cast<std::vector<unsigned char>*>(closure);
    try {
        out->insert(out->end(), data, data + length);
    } catch (...) {  // never let an exception cross Cairo's C frames
        return CAIRO_STATUS_NO_MEMORY;
    }
    return CAIRO_STATUS_SUCCESS;
}

struct read_cursor {
    std::span<const unsigned char> bytes;
    size_t pos = 0;
};

cairo_status_t read_bytes(void* closure, unsigned char* data, unsigned int length) {
    auto* c = static_cast<read_cursor*>(closure);
    if (c->bytes.size() - c->pos < length) return CAIRO_STATUS_READ_ERROR;
    std::memcpy(data, c->bytes.data() + c->pos, length);
    c->pos += length;
    return CAIRO_STATUS_SUCCESS;
}

}  // namespace

std::vector<unsigned char> encode_png(cairo_surface_t* surface) {
    cairo_surface_flush(surface);
    std::vector<unsigned char> out;
    if (const auto st = cairo_surface_write_to_png_stream(surface, append_bytes, &out);
        st != CAIRO_STATUS_SUCCESS)
        throw processing_error(fmt::format("cannot encode PNG: {}", cairo_status_to_string(st)));
    return out;
}

cairo_surface_ptr decode_png(std::span<const unsigned char> png) {
    read_cursor cursor{png, 0};
    cairo_surface_ptr s(cairo_image_surface_create_from_png_stream(read_bytes, &cursor));
    if (const auto st = cairo_surface_status(s.get()); st != CAIRO_STATUS_SUCCESS)
        throw processing_error(fmt::format("cannot decode PNG: {}", cairo_status_to_string(st)));
    return s;
}

uint32_t pixel_rgb(cairo_surface_t* surface, int x, int y) {
    const auto format = cairo_image_surface_get_format(surface);
    if (format != CAIRO_FORMAT_RGB24 && format != CAIRO_FORMAT_ARGB32)
        throw std::invalid_argument("pixel_rgb: not an RGB24 or ARGB32 surface");
    if (x < 0 || y < 0 || x >= cairo_image_surface_get_width(surface) ||
        y >= cairo_image_surface_get_height(surface))
        throw std::out_of_range(fmt::format("pixel_rgb: ({}, {}) is outside the image", x, y));
    const unsigned char* row = cairo_image_surface_get_data(surface) +
                               static_cast<ptrdiff_t>(y) * cairo_image_surface_get_stride(surface);
    uint32_t v;
    std::memcpy(&v, row + static_cast<ptrdiff_t>(x) * 4, 4);  // native-endian 0xAARRGGBB
    return v & 0xffffffu;
}

}  // namespace timeside
