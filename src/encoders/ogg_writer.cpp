// ogg_writer: packet in, pages out. A page's header and body are joined into one chunk so a sink
// (a live hub above all) never sees half a page.
#include "encoders/ogg_writer.hpp"

#include <algorithm>
#include <new>
#include <random>
#include <stdexcept>

namespace timeside {

namespace {
int32_t random_serial() {
    std::random_device rd;
    return static_cast<int32_t>(rd());
}
}  // namespace

ogg_writer::ogg_writer(byte_sink& sink, ogg_writer_options options)
    : sink_(sink),
      serial_(options.serial ? *options.serial : random_serial()),
      max_page_granules_(options.max_page_granules) {
    // ogg_stream_init only fails on allocation; nothing to release then.
    if (ogg_stream_init(&stream_, serial_) != 0) throw std::bad_alloc();
    page_.reserve(1 << 16);
}

ogg_writer::~ogg_writer() {
    ogg_stream_clear(&stream_);
}

void ogg_writer::submit(ogg_packet& packet) {
    if (ogg_stream_packetin(&stream_, &packet) != 0) throw std::bad_alloc();
}

void ogg_writer::write_header(ogg_packet& packet) {
    if (headers_done_) throw std::logic_error("ogg_writer: header packet after end_headers()");
    submit(packet);
    if (header_packets_++ == 0) drain(true, true);
}

void ogg_writer::end_headers() {
    if (headers_done_) return;
    drain(true, true);
    headers_done_ = true;
}

void ogg_writer::write(ogg_packet& packet) {
    if (!headers_done_) end_headers();
    if (max_page_granules_ > 0 && packet.granulepos - page_start_granule_ > max_page_granules_) drain(true, false);
    submit(packet);
    if (max_page_granules_ > 0 && packet.granulepos - page_start_granule_ >= max_page_granules_)
        drain(true, false);
    else
        drain(false, false);
}

void ogg_writer::flush() {
    drain(true, !headers_done_);
}

void ogg_writer::finish() {
    if (!headers_done_) end_headers();
    drain(true, false);
}

void ogg_writer::drain(bool flush, bool is_header) {
    ogg_page page;
    while (flush ? ogg_stream_flush(&stream_, &page) : ogg_stream_pageout(&stream_, &page)) {
        const auto header_len = static_cast<size_t>(page.header_len);
        const auto body_len = static_cast<size_t>(page.body_len);
        page_.resize(header_len + body_len);
        std::copy_n(page.header, header_len, page_.data());
        std::copy_n(page.body, body_len, page_.data() + header_len);
        sink_.write(page_, is_header);
        ++pages_;
        if (ogg_int64_t g = ogg_page_granulepos(&page); g >= 0) page_start_granule_ = g;
    }
}

}  // namespace timeside
