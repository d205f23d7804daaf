// ogg_writer: one logical Ogg stream (libogg's ogg_stream_state) that takes a codec's packets and
// writes each finished page to a byte_sink as one chunk. Codec-neutral: Vorbis and Opus both use it.
// Header pages are flagged is_header so a live hub can replay them to listeners who join late.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include <ogg/ogg.h>

#include "core/byte_sink.hpp"

namespace timeside {

struct ogg_writer_options {
    // Identifies the logical stream; by default a random one, as oggenc does.
    std::optional<int32_t> serial;
    // The most granule units (samples for Vorbis and Opus) one page spans: a page ends before the
    // packet that would take it past this (a packet longer than this alone still gets a page), so
    // a live listener is not kept waiting for libogg's 4 kB at a low bitrate. 0: libogg decides alone.
    int64_t max_page_granules = 0;
};

class ogg_writer {
public:
    explicit ogg_writer(byte_sink& sink, ogg_writer_options options = {});
    ~ogg_writer();
    ogg_writer(const ogg_writer&) = delete;
    ogg_writer& operator=(const ogg_writer&) = delete;

    // Codec headers, in order. The first one (identification: Vorbis, OpusHead, ...) goes out
    // alone on the stream's first page, as every Ogg mapping requires.
    void write_header(ogg_packet& packet);
    // Flushes the remaining header packets, so the first audio packet starts on a fresh page
    // (a late joiner can then be sent the header pages followed by any audio page).
    void end_headers();
    // An audio packet; full pages are written as libogg completes them.
    void write(ogg_packet& packet);
    // Ends the current page now (nothing happens if it holds no packet).
    void flush();
    // After the last packet (marked e_o_s): writes what is left.
    void finish();

    int32_t serial() const { return serial_; }
    int64_t pages_written() const { return pages_; }

private:
    void drain(bool flush, bool is_header);
    void submit(ogg_packet& packet);

    byte_sink& sink_;
    ogg_stream_state stream_{};
    int32_t serial_;
    int64_t max_page_granules_;
    int64_t page_start_granule_ = 0;  // granule position at the end of the last page written
    int64_t pages_ = 0;
    int64_t header_packets_ = 0;
    bool headers_done_ = false;
    std::vector<unsigned char> page_;  // header + body of one page, reused
};

}  // namespace timeside
