// ogg_relinker: pages in (libogg's sync and stream states), packets through, pages out on a stream
// state of our own per link, flushed where the input's pages end so the push adds no delay.
// Why the links join without a gap: a Vorbis decoder's first packet only primes its window (no
// output), so a new link re-sends the last packet of the one before: a fresh decoder then gives
// exactly the samples a continuous one would. Opus' decoder state (CELT's energy prediction, the
// overlap, SILK's predictors) needs longer: the new link re-sends the last >= 80 ms of packets and
// its OpusHead pre-skip drops what they decode to. A chained link's granule positions count from
// 0 where its audio begins (after the primes), as a fresh stream's do.
#include "server/live/ogg_relinker.hpp"

#include <algorithm>
#include <cstring>
#include <new>

namespace timeside::server::live {

int opus_packet_samples(std::span<const unsigned char> packet) {
    if (packet.empty()) return 0;
    const int config = packet[0] >> 3;
    int frame;  // samples at 48 kHz
    static constexpr int silk[4] = {480, 960, 1920, 2880};
    if (config < 12) frame = silk[config & 3];                                  // SILK: 10, 20, 40, 60 ms
    else if (config < 16) frame = 480 << (config & 1);                         // hybrid: 10, 20 ms
    else frame = 120 << (config & 3);                                           // CELT: 2.5, 5, 10, 20 ms
    int frames;
    switch (packet[0] & 3) {
        case 0: frames = 1; break;
        case 1:
        case 2: frames = 2; break;
        default:
            if (packet.size() < 2) return 0;
            frames = packet[1] & 0x3F;
    }
    const int samples = frame * frames;
    return samples > 5760 ? 0 : samples;  // at most 120 ms in a packet
}

ogg_relinker::ogg_relinker(ogg_relink_options options)
    : options_(options), random_(options.seed ? *options.seed : std::random_device{}()) {
    ogg_sync_init(&sync_);
}

ogg_relinker::~ogg_relinker() {
    if (in_open_) ogg_stream_clear(&in_);
    if (out_open_) ogg_stream_clear(&out_);
    ogg_sync_clear(&sync_);
}

void ogg_relinker::set_title(std::string title) {
    title_ = std::move(title);
}

uint32_t ogg_relinker::new_serial() {
    uint32_t s;
    do s = static_cast<uint32_t>(random_());
    while (s == in_serial_ || s == out_serial_);
    return s;
}

void ogg_relinker::feed(std::span<const unsigned char> bytes, std::vector<unsigned char>& out) {
    char* buf = ogg_sync_buffer(&sync_, static_cast<long>(bytes.size()));
    if (!buf) throw std::bad_alloc();
    std::memcpy(buf, bytes.data(), bytes.size());
    ogg_sync_wrote(&sync_, static_cast<long>(bytes.size()));
    ogg_page page;
    // pageout: 1 a page, 0 more data needed, -1 bytes skipped to find the next page.
    for (int r; (r = ogg_sync_pageout(&sync_, &page)) != 0;)
        if (r > 0) on_page(page, out);
}

void ogg_relinker::on_page(ogg_page& page, std::vector<unsigned char>& out) {
    const auto serial = static_cast<uint32_t>(ogg_page_serialno(&page));
    if (ogg_page_bos(&page)) {
        // The output's first page (encoders are set up once: only ever at the start). Should an
        // output begin again all the same, so does the link: its first audio packet starts a new one.
        if (in_open_) ogg_stream_clear(&in_);
        if (out_open_) ogg_stream_clear(&out_);
        out_open_ = false;
        recent_.clear();
        recent_samples_ = 0;
        link_start_in_ = -1;
        if (ogg_stream_init(&in_, static_cast<int>(serial)) != 0) throw std::bad_alloc();
        in_open_ = true;
        in_serial_ = serial;
        headers_.clear();
        codec_.reset();
        headers_needed_ = 1;
    }
    if (!in_open_ || serial != in_serial_) return;
    if (ogg_stream_pagein(&in_, &page) != 0) return;
    ogg_packet p;
    // packetout: 1 a packet, 0 none complete, -1 a gap (a page lost: none are, the hub sends whole ones).
    for (int r; (r = ogg_stream_packetout(&in_, &p)) != 0;) {
        if (r < 0) continue;
        if (headers_.size() < headers_needed_) on_header(p);
        else if (codec_) on_audio(p, out);
    }
    drain(out);
}

void ogg_relinker::on_header(ogg_packet& p) {
    const auto* d = p.packet;
    const auto n = static_cast<size_t>(p.bytes);
    if (headers_.empty()) {
        if (n >= 30 && std::memcmp(d, "\x01vorbis", 7) == 0) {
            codec_ = xiph_codec::vorbis;
            headers_needed_ = 3;
            rate_ = static_cast<int>(d[12] | d[13] << 8 | d[14] << 16 | static_cast<uint32_t>(d[15]) << 24);
        } else if (n >= 19 && std::memcmp(d, "OpusHead", 8) == 0) {
            codec_ = xiph_codec::opus;
            headers_needed_ = 2;
            rate_ = 48000;  // Opus granules count 48 kHz samples whatever the input rate
            pre_skip_ = d[10] | d[11] << 8;
        } else {
            headers_needed_ = 0;  // not a codec we chain: nothing goes out
            return;
        }
    }
    headers_.emplace_back(d, d + n);
    if (headers_.size() == 2) comments_ = parse_comment_packet(*codec_, headers_[1]);
}

void ogg_relinker::on_audio(ogg_packet& p, std::vector<unsigned char>& out) {
    const int64_t g = p.granulepos;
    const int samples = *codec_ == xiph_codec::opus ? opus_packet_samples({p.packet, static_cast<size_t>(p.bytes)}) : 0;
    recent_.push_back({std::vector<unsigned char>(p.packet, p.packet + p.bytes), samples});
    recent_samples_ += samples;
    while (recent_.size() > 1 &&
           (*codec_ == xiph_codec::vorbis || recent_samples_ - recent_.front().samples >= opus_preroll)) {
        recent_samples_ -= recent_.front().samples;
        recent_.pop_front();
    }

    if (!out_open_) {
        begin_link(out, {}, 0, -1);
        submit(p.packet, p.bytes, granule_out(g), false);
        if (g >= 0) link_start_in_ = g;
        return;
    }
    if (link_start_in_ < 0 && g >= 0) link_start_in_ = g;
    const bool due = title_ != link_title_ && g >= 0 && link_start_in_ >= 0 &&
                     static_cast<double>(g - link_start_in_) >= options_.min_link_seconds * rate_;
    if (!due) {
        submit(p.packet, p.bytes, granule_out(g), false);
        return;
    }
    // This packet ends the link (EOS page); the next begins primed with it and those before it.
    submit(p.packet, p.bytes, granule_out(g), true);
    drain(out);
    std::vector<std::vector<unsigned char>> primes;
    int64_t prime_samples = 0;
    for (const auto& r : recent_) {
        primes.push_back(r.data);
        prime_samples += r.samples;
    }
    begin_link(out, primes, prime_samples, g);
    link_start_in_ = g;
}

void ogg_relinker::begin_link(std::vector<unsigned char>& out, const std::vector<std::vector<unsigned char>>& primes,
                              int64_t prime_samples, int64_t prime_end_in) {
    if (out_open_) ogg_stream_clear(&out_);
    out_serial_ = new_serial();
    if (ogg_stream_init(&out_, static_cast<int>(out_serial_)) != 0) throw std::bad_alloc();
    out_open_ = true;
    ++links_;
    link_title_ = title_;
    if (!title_.empty()) ++titled_links_;

    // Identification header alone on the link's first page (BOS), as both mappings require.
    std::vector<unsigned char> id = headers_[0];
    int pre_skip = pre_skip_;
    if (*codec_ == xiph_codec::opus && !primes.empty()) {
        pre_skip = static_cast<int>(std::min<int64_t>(prime_samples, 65535));
        id[10] = static_cast<unsigned char>(pre_skip & 0xFF);
        id[11] = static_cast<unsigned char>(pre_skip >> 8);
    }
    // The first link keeps the encoder's granule positions (it starts mid-stream, as any joining
    // listener's stream does). A chained link counts from 0, as a fresh stream would: its primes
    // end at granule 0 (Vorbis: the packet that only primes gives no samples) or at the pre-skip
    // (Opus), so its audio begins at PCM position 0. icecast2 re-pages Vorbis counting from 0 per
    // link and keeps the source's granule on the EOS page: a link that did not start at 0 would end
    // on a granule far past what it holds, and decoders would take the difference for lost audio.
    offset_ = primes.empty() ? 0 : (*codec_ == xiph_codec::opus ? pre_skip : 0) - prime_end_in;
    submit(id.data(), static_cast<long>(id.size()), 0, false);
    drain(out);
    // The comments with the title (the encoder's own otherwise), then Vorbis' setup header, flushed
    // so that audio starts on a page of its own.
    if (comments_) {
        xiph_comments c = *comments_;
        if (!title_.empty()) {
            set_comment(c, "ARTIST", "");  // the mount's title is the whole "Artist - Title" line
            set_comment(c, "TITLE", title_);
        }
        const auto packet = comment_packet(*codec_, c);
        submit(packet.data(), static_cast<long>(packet.size()), 0, false);
    } else {
        submit(headers_[1].data(), static_cast<long>(headers_[1].size()), 0, false);
    }
    for (size_t i = 2; i < headers_.size(); ++i)
        submit(headers_[i].data(), static_cast<long>(headers_[i].size()), 0, false);
    drain(out);
    // The primes end where the link before ended: that page's granule says so.
    for (size_t i = 0; i < primes.size(); ++i)
        submit(primes[i].data(), static_cast<long>(primes[i].size()),
               i + 1 == primes.size() ? granule_out(prime_end_in) : -1, false);
}

void ogg_relinker::submit(const unsigned char* data, long bytes, int64_t granule, bool eos) {
    ogg_packet p{};
    p.packet = const_cast<unsigned char*>(data);  // libogg copies it, never writes
    p.bytes = bytes;
    p.granulepos = granule;
    p.e_o_s = eos ? 1 : 0;
    if (ogg_stream_packetin(&out_, &p) != 0) throw std::bad_alloc();
}

void ogg_relinker::drain(std::vector<unsigned char>& out) {
    if (!out_open_) return;
    ogg_page page;
    while (ogg_stream_flush(&out_, &page)) {
        out.insert(out.end(), page.header, page.header + page.header_len);
        out.insert(out.end(), page.body, page.body + page.body_len);
    }
}

}  // namespace timeside::server::live
