// ogg_relinker: an Ogg Vorbis or Ogg Opus output re-framed for one Icecast push, so that a title
// change reaches the relay the way Icecast reads titles from Ogg: the stream is chained (the link
// ends with an EOS page; a new one begins with a new serial and fresh headers whose comments carry
// TITLE=...). The encoder's packets are reused, never re-encoded; our own listeners keep the one
// continuous logical stream, since only the push's copy of the pages is rewritten.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include <ogg/ogg.h>

#include "server/live/xiph_comments.hpp"

namespace timeside::server::live {

struct ogg_relink_options {
    // A title change chains a new link only once the current one holds this much audio; titles that
    // come faster wait, the newest winning (each link costs its headers: ~4 KB for Vorbis).
    double min_link_seconds = 5;
    // Serials of the links: random unless a seed is given (tests).
    std::optional<uint32_t> seed;
};

class ogg_relinker {
public:
    explicit ogg_relinker(ogg_relink_options options = {});
    ~ogg_relinker();
    ogg_relinker(const ogg_relinker&) = delete;
    ogg_relinker& operator=(const ogg_relinker&) = delete;

    // The title the next link carries (the first link, and a new one after a change).
    void set_title(std::string title);
    // The output's bytes in order (its header pages, then audio pages from any page on, as a
    // joining listener gets them): the pages to send are appended to `out`. The first link begins
    // at the first audio packet; a pending title change ends a link after a packet that completes
    // an input page (its granule position is known there).
    void feed(std::span<const unsigned char> bytes, std::vector<unsigned char>& out);

    std::optional<xiph_codec> codec() const { return codec_; }
    int64_t links() const { return links_; }              // links begun
    int64_t titled_links() const { return titled_links_; }  // of which with a title
    // Opus: the samples (48 kHz) each link after the first re-sends before its continuation, for
    // the decoder to converge (RFC 7845 §4.3: 80 ms); its OpusHead pre-skip drops them.
    static constexpr int opus_preroll = 3840;

private:
    void on_page(ogg_page& page, std::vector<unsigned char>& out);
    void on_header(ogg_packet& p);
    void on_audio(ogg_packet& p, std::vector<unsigned char>& out);
    void begin_link(std::vector<unsigned char>& out, const std::vector<std::vector<unsigned char>>& primes,
                    int64_t prime_samples, int64_t prime_end_in);
    void submit(const unsigned char* data, long bytes, int64_t granule, bool eos);
    void drain(std::vector<unsigned char>& out);
    int64_t granule_out(int64_t granule_in) const { return granule_in < 0 ? -1 : granule_in + offset_; }
    uint32_t new_serial();

    ogg_relink_options options_;
    std::mt19937 random_;
    ogg_sync_state sync_{};
    ogg_stream_state in_{}, out_{};
    bool in_open_ = false, out_open_ = false;
    uint32_t in_serial_ = 0, out_serial_ = 0;

    std::optional<xiph_codec> codec_;
    std::vector<std::vector<unsigned char>> headers_;  // the input's header packets, as sent
    std::optional<xiph_comments> comments_;            // parsed from headers_[1]
    size_t headers_needed_ = 1;                        // until the first packet names the codec
    int rate_ = 48000;                                 // granule units per second
    int pre_skip_ = 0;                                 // Opus: the input's OpusHead pre-skip

    std::string title_, link_title_;
    int64_t offset_ = 0;           // granule out - granule in, in the current link
    int64_t link_start_in_ = -1;   // the input granule where the current link's audio began
    int64_t links_ = 0, titled_links_ = 0;
    // The last audio packets (Vorbis: the last one; Opus: at least opus_preroll samples), to prime
    // the decoder of the next link.
    struct recent_packet {
        std::vector<unsigned char> data;
        int samples;
    };
    std::deque<recent_packet> recent_;
    int64_t recent_samples_ = 0;
};

// The samples at 48 kHz an Opus packet decodes to, from its TOC byte (RFC 6716 §3.1); 0 when malformed.
int opus_packet_samples(std::span<const unsigned char> packet);

}  // namespace timeside::server::live
