// vorbis_encoder: blocks are deinterleaved straight into libvorbis's analysis buffer (no staging
// copy), whole blocks at a time; every packet libvorbis completes goes to the Ogg stream at once.
#include "encoders/vorbis_encoder.hpp"

#include <algorithm>
#include <vector>

#include <fmt/format.h>
#include <vorbis/codec.h>
#include <vorbis/vorbisenc.h>

#include "core/errors.hpp"
#include "encoders/ogg_writer.hpp"

namespace timeside {

// libvorbis's four structs, each cleared only if it was initialized, in reverse order.
struct vorbis_session {
    vorbis_info info{};
    vorbis_comment comment{};
    vorbis_dsp_state dsp{};
    vorbis_block block{};
    bool has_info = false, has_comment = false, has_dsp = false, has_block = false;

    vorbis_session() = default;
    vorbis_session(const vorbis_session&) = delete;
    vorbis_session& operator=(const vorbis_session&) = delete;
    ~vorbis_session() {
        if (has_block) vorbis_block_clear(&block);
        if (has_dsp) vorbis_dsp_clear(&dsp);
        if (has_comment) vorbis_comment_clear(&comment);
        if (has_info) vorbis_info_clear(&info);
    }
};

const processor_info& vorbis_encoder::describe() {
    static const processor_info info{
        "vorbis_encoder",
        "Vorbis encoder",
        "1.0",
        "Ogg Vorbis (libvorbis, VBR quality mode)",
        "",
        processor_kind::encoder,
        {number_param("quality", "VBR quality: -0.1 (smallest) to 1 (best); 0.5 is about 160 kbit/s stereo",
                      0.5, -0.1, 1.0)}};
    return info;
}

vorbis_encoder::vorbis_encoder(parameter_set params) : encoder(describe(), std::move(params)) {}

vorbis_encoder::~vorbis_encoder() {
    release();
}

void vorbis_encoder::release() noexcept {
    ogg_.reset();
    vorbis_.reset();
}

void vorbis_encoder::on_setup(const stream_info& in) {
    release();
    const int rate = in.format.samplerate, channels = in.format.channels;
    const double quality = parameters().number("quality");
    // The identification header stores the channel count in one byte.
    if (channels < 1 || channels > 255)
        throw usage_error(
            fmt::format("vorbis_encoder: cannot encode {} channels (Vorbis takes 1 to 255)", channels));
    if (rate < 1)
        throw usage_error(fmt::format("vorbis_encoder: cannot encode a sample rate of {} Hz", rate));

    auto v = std::make_unique<vorbis_session>();
    vorbis_info_init(&v->info);
    v->has_info = true;
    if (int err = vorbis_encode_init_vbr(&v->info, channels, rate, static_cast<float>(quality)); err != 0)
        throw usage_error(fmt::format(
            "vorbis_encoder: libvorbis cannot encode {} Hz, {} channel(s) at quality={} (error {})", rate,
            channels, quality, err));

    vorbis_comment_init(&v->comment);
    v->has_comment = true;
    if (in.media) {
        static const std::pair<const char*, const char*> wanted[] = {
            {"title", "TITLE"}, {"artist", "ARTIST"}, {"album", "ALBUM"}};
        for (const auto& [key, field] : wanted)
            if (auto it = in.media->tags.find(key); it != in.media->tags.end() && !it->second.empty())
                vorbis_comment_add_tag(&v->comment, field, it->second.c_str());
    }
    vorbis_comment_add_tag(&v->comment, "ENCODER", "TimeSide " TIMESIDE_VERSION);

    if (vorbis_analysis_init(&v->dsp, &v->info) != 0)
        throw processing_error("vorbis_encoder: libvorbis failed to start the encoder");
    v->has_dsp = true;
    if (vorbis_block_init(&v->dsp, &v->block) != 0)
        throw processing_error("vorbis_encoder: libvorbis failed to start the encoder");
    v->has_block = true;

    ogg_packet id, comments, codebooks;
    if (vorbis_analysis_headerout(&v->dsp, &v->comment, &id, &comments, &codebooks) != 0)
        throw processing_error("vorbis_encoder: libvorbis failed to write the stream headers");
    // Half-second pages at most: a live listener hears a low-bitrate stream without delay.
    auto ogg = std::make_unique<ogg_writer>(sink(), ogg_writer_options{{}, std::max(1, rate / 2)});
    ogg->write_header(id);
    ogg->write_header(comments);
    ogg->write_header(codebooks);
    ogg->end_headers();

    // Blocks carry channels in WAV/GStreamer order (FL FR FC LFE BL BR SL SR); Vorbis has its
    // own for 3 to 8 channels (FL FC FR ..., LFE last). Vorbis channel c takes source_channel_[c].
    // clang-format off
    static const std::vector<int> vorbis_order[] = {
        {}, {}, {}, {0, 2, 1}, {0, 1, 2, 3}, {0, 2, 1, 3, 4}, {0, 2, 1, 4, 5, 3},
        {0, 2, 1, 5, 6, 4, 3}, {0, 2, 1, 6, 7, 4, 5, 3}};
    // clang-format on
    source_channel_.resize(static_cast<size_t>(channels));
    for (int c = 0; c < channels; ++c)
        source_channel_[static_cast<size_t>(c)] =
            channels >= 3 && channels <= 8 ? vorbis_order[channels][static_cast<size_t>(c)] : c;

    vorbis_ = std::move(v);
    ogg_ = std::move(ogg);
    channels_ = channels;
    packets_ = 0;
}

void vorbis_encoder::on_process(const block_ptr& b) {
    const int64_t n = b->frames();
    if (n <= 0) return;
    if (b->channels() != channels_)
        throw processing_error(fmt::format("vorbis_encoder: block of {} channels in a {}-channel stream",
                                           b->channels(), channels_));
    float** out = vorbis_analysis_buffer(&vorbis_->dsp, static_cast<int>(n));
    const float* in = b->samples().data();
    if (channels_ == 1) {
        std::copy_n(in, n, out[0]);
    } else if (channels_ == 2) {
        float* l = out[0];
        float* r = out[1];
        for (int64_t i = 0; i < n; ++i) {
            l[i] = in[2 * i];
            r[i] = in[2 * i + 1];
        }
    } else {
        for (int c = 0; c < channels_; ++c) {
            float* dst = out[c];
            const float* src = in + source_channel_[static_cast<size_t>(c)];
            for (int64_t i = 0; i < n; ++i) dst[i] = src[i * channels_];
        }
    }
    vorbis_analysis_wrote(&vorbis_->dsp, static_cast<int>(n));
    write_packets();
}

void vorbis_encoder::write_packets() {
    auto& v = *vorbis_;
    while (vorbis_analysis_blockout(&v.dsp, &v.block) == 1) {
        if (vorbis_analysis(&v.block, nullptr) != 0 || vorbis_bitrate_addblock(&v.block) != 0)
            throw processing_error("vorbis_encoder: libvorbis failed to encode a block");
        ogg_packet packet;
        while (vorbis_bitrate_flushpacket(&v.dsp, &packet) == 1) {
            // libvorbis gives the last packet the exact frame count (end trimming). The first
            // audio packet (granule 0, no output) gets a page of its own: were the first audio
            // page also the last, decoders could not tell end trimming from a start offset, and
            // GStreamer and FFmpeg then disagree on the length of any short file.
            ogg_->write(packet);
            if (packets_++ == 0) ogg_->flush();
        }
    }
}

void vorbis_encoder::on_finish() {
    vorbis_analysis_wrote(&vorbis_->dsp, 0);  // end of stream: libvorbis flushes its last blocks
    write_packets();
    ogg_->finish();
    release();
}

void vorbis_encoder::on_abort() noexcept {
    release();
}

}  // namespace timeside
