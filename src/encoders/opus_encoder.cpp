// opus_encoder: blocks are reordered into Vorbis channel order where the layout needs it,
// resampled to 48 kHz (rate_converter: output sample 0 is input sample 0), gathered into packets of
// frame_duration and encoded by libopus's multistream encoder. The stream ends by continuing the
// audio past its end (lpc_extension) through the lookahead and the last packet, whose granule
// position is then cut back to the input's exact length (RFC 7845 §4.4).
#include "encoders/opus_encoder.hpp"

#include <fmt/format.h>
#include <ogg/ogg.h>
#include <opus_multistream.h>

#include <algorithm>
#include <cstdint>

#include "core/errors.hpp"
#include "encoders/lpc_extension.hpp"
#include "encoders/ogg_writer.hpp"
#include "encoders/opus_header.hpp"
#include "encoders/rate_converter.hpp"

namespace timeside {

namespace {

constexpr int opus_rate = 48000;
constexpr int64_t tail_frames = 480;       // history the end's prediction is made from
constexpr int64_t extension_frames = 120;  // predicted frames past the end, faded to silence
constexpr int64_t resample_chunk = 1024;   // input frames per resampler call

int application_code(const std::string& name) {
    if (name == "voip") return OPUS_APPLICATION_VOIP;
    if (name == "lowdelay") return OPUS_APPLICATION_RESTRICTED_LOWDELAY;
    return OPUS_APPLICATION_AUDIO;
}

}  // namespace

// libopus's encoder and the resampler (none at 48 kHz); destroying them never writes.
struct opus_session {
    OpusMSEncoder* enc = nullptr;
    std::unique_ptr<rate_converter> resampler;

    opus_session() = default;
    opus_session(const opus_session&) = delete;
    opus_session& operator=(const opus_session&) = delete;
    ~opus_session() {
        if (enc) opus_multistream_encoder_destroy(enc);
    }
};

const processor_info& opus_encoder::describe() {
    static const processor_info info{
        "opus_encoder",
        "Opus encoder",
        "1.0",
        "Ogg Opus (libopus, VBR; any input rate, resampled to 48 kHz)",
        "",
        processor_kind::encoder,
        {integer_param("bitrate", "target bitrate for all channels together", 96, 6, 510, "kbps"),
         integer_param("complexity", "encoder effort: 0 (fastest) to 10 (best)", 10, 0, 10),
         choice_param("application", "what the encoder tunes for: music, speech or the lowest latency",
                      "audio", {"audio", "voip", "lowdelay"}),
         integer_choice_param(
             "frame_duration",
             "packet duration; 120 (the default) encodes fastest, 20 gives live listeners the "
             "lowest latency (lowdelay uses 20 unless set)",
             120, {20, 40, 60, 80, 100, 120}, "ms"),
         integer_param(
             "page_duration",
             "the longest span of audio one Ogg page holds; a live listener receives audio a page at "
             "a time, so this bounds the latency pages add (shorter pages cost ~27 bytes each)",
             500, 20, 1000, "ms")}};
    return info;
}

opus_encoder::opus_encoder(parameter_set params) : encoder(describe(), std::move(params)) {}

opus_encoder::~opus_encoder() {
    release();
}

void opus_encoder::release() noexcept {
    ogg_.reset();
    opus_.reset();
}

void opus_encoder::on_setup(const stream_info& in) {
    release();
    const int rate = in.format.samplerate, channels = in.format.channels;
    // Mapping family 0 carries mono and stereo, family 1 the Vorbis surround layouts up to 7.1.
    if (channels < 1 || channels > 8)
        throw usage_error(
            fmt::format("opus_encoder: cannot encode {} channels (Opus takes 1 to 8)", channels));
    if (rate < 1) throw usage_error(fmt::format("opus_encoder: cannot encode a sample rate of {} Hz", rate));
    const int family = channels <= 2 ? 0 : 1;
    const auto bitrate = parameters().integer("bitrate");
    const auto complexity = parameters().integer("complexity");
    const auto& application = parameters().string("application");

    auto s = std::make_unique<opus_session>();
    opus_head_fields head;
    head.channels = channels;
    head.input_rate = static_cast<uint32_t>(rate);
    head.family = family;
    head.mapping.resize(static_cast<size_t>(channels));
    int err = OPUS_OK;
    // The application is fixed here: the pre-skip (the codec's lookahead) depends on it.
    s->enc =
        opus_multistream_surround_encoder_create(opus_rate, channels, family, &head.streams, &head.coupled,
                                                 head.mapping.data(), application_code(application), &err);
    if (!s->enc || err != OPUS_OK)
        throw usage_error(fmt::format("opus_encoder: libopus cannot encode {} channel(s) as {}: {}", channels,
                                      application, opus_strerror(err)));
    if (err = opus_multistream_encoder_ctl(s->enc, OPUS_SET_BITRATE(static_cast<opus_int32>(bitrate * 1000)));
        err != OPUS_OK)
        throw usage_error(fmt::format("opus_encoder: bitrate={} kbps refused for {} channel(s): {}", bitrate,
                                      channels, opus_strerror(err)));
    if (err = opus_multistream_encoder_ctl(s->enc, OPUS_SET_COMPLEXITY(static_cast<opus_int32>(complexity)));
        err != OPUS_OK)
        throw usage_error(
            fmt::format("opus_encoder: complexity={} refused: {}", complexity, opus_strerror(err)));
    // Unconstrained VBR, as opusenc and FFmpeg use it: bits go where the signal needs them.
    if (err = opus_multistream_encoder_ctl(s->enc, OPUS_SET_VBR(1)); err == OPUS_OK)
        err = opus_multistream_encoder_ctl(s->enc, OPUS_SET_VBR_CONSTRAINT(0));
    if (err != OPUS_OK)
        throw processing_error(fmt::format("opus_encoder: cannot select VBR: {}", opus_strerror(err)));
    opus_int32 lookahead = 0;
    if (err = opus_multistream_encoder_ctl(s->enc, OPUS_GET_LOOKAHEAD(&lookahead)); err != OPUS_OK)
        throw processing_error(
            fmt::format("opus_encoder: cannot read the lookahead: {}", opus_strerror(err)));
    head.pre_skip = pre_skip_ = lookahead;
    if (rate != opus_rate) {
        try {
            s->resampler = std::make_unique<rate_converter>(channels, rate, opus_rate);
        } catch (const usage_error& e) {
            throw usage_error(std::string("opus_encoder: ") + e.what());
        }
    }

    // 120 ms packets (the default): libopus codes six 20 ms CELT frames (or two 60 ms SILK ones)
    // as separate packets would be, and packs them; fewer packets, less per-packet work and Ogg
    // overhead. The low-delay application keeps 20 ms: latency is what it is chosen for.
    const int64_t ms = application == "lowdelay" && !parameters().given("frame_duration")
                           ? 20
                           : parameters().integer("frame_duration");
    packet_frames_ = static_cast<int>(ms * opus_rate / 1000);
    const auto streams = static_cast<size_t>(head.streams);
    // The most a packet of six 20 ms frames can take per stream (RFC 6716 §3.2.5), with its framing.
    packet_.assign((1275 * 6 + 2) * streams + 7, 0);
    pending_.assign(static_cast<size_t>(packet_frames_) * static_cast<size_t>(channels), 0.0f);
    pending_frames_ = 0;
    resampled_.clear();
    tail_.clear();
    input_frames_ = encoded_ = packetno_ = 0;
    end_granule_ = -1;
    ended_ = false;

    std::vector<std::string> comments;
    if (in.media) {
        static const std::pair<const char*, const char*> wanted[] = {
            {"title", "TITLE"}, {"artist", "ARTIST"}, {"album", "ALBUM"}};
        for (const auto& [key, field] : wanted)
            if (auto it = in.media->tags.find(key); it != in.media->tags.end() && !it->second.empty())
                comments.push_back(std::string(field) + "=" + it->second);
    }
    comments.push_back("ENCODER=TimeSide " TIMESIDE_VERSION);

    // Blocks carry channels in WAV/GStreamer order (FL FR FC LFE BL BR SL SR); family 1 takes
    // Vorbis order (FL FC FR ..., LFE last). Opus channel c takes source_channel_[c].
    // clang-format off
    static const std::vector<int> vorbis_order[] = {
        {}, {0}, {0, 1}, {0, 2, 1}, {0, 1, 2, 3}, {0, 2, 1, 3, 4}, {0, 2, 1, 4, 5, 3},
        {0, 2, 1, 5, 6, 4, 3}, {0, 2, 1, 6, 7, 4, 5, 3}};
    // clang-format on
    source_channel_ = vorbis_order[channels];
    bool identity = true;
    for (int c = 0; c < channels; ++c) identity = identity && source_channel_[static_cast<size_t>(c)] == c;
    if (identity) source_channel_.clear();
    remapped_.clear();
    channels_ = channels;
    rate_ = rate;
    opus_ = std::move(s);

    // Pages end before they would span more than page_duration: half a second (the default) keeps
    // the 27-byte page header about 0.5% of a 96 kbit/s stream; a live mount asks for less.
    ogg_ = std::make_unique<ogg_writer>(sink(),
                                        ogg_writer_options{{}, parameters().integer("page_duration") * 48});
    // The OpusHead and OpusTags pages go out now, flagged, and audio starts on a page of its own.
    auto id = opus_head_packet(head);
    auto tags = opus_tags_packet(opus_get_version_string(), comments);
    for (auto* p : {&id, &tags}) {
        ogg_packet packet{};
        packet.packet = p->data();
        packet.bytes = static_cast<long>(p->size());
        packet.b_o_s = p == &id;
        packet.packetno = packetno_++;
        ogg_->write_header(packet);
    }
    ogg_->end_headers();
}

void opus_encoder::on_process(const block_ptr& b) {
    const int64_t n = b->frames();
    if (n <= 0) return;
    if (b->channels() != channels_)
        throw processing_error(fmt::format("opus_encoder: block of {} channels in a {}-channel stream",
                                           b->channels(), channels_));
    const float* pcm = b->samples().data();
    if (!source_channel_.empty()) {
        const auto total = static_cast<size_t>(n) * static_cast<size_t>(channels_);
        if (remapped_.size() < total) remapped_.resize(total);
        for (int c = 0; c < channels_; ++c) {
            const float* src = pcm + source_channel_[static_cast<size_t>(c)];
            float* dst = remapped_.data() + c;
            for (int64_t i = 0; i < n; ++i) dst[i * channels_] = src[i * channels_];
        }
        pcm = remapped_.data();
    }
    keep_tail(pcm, n);
    input_frames_ += n;
    resample(pcm, n);
}

void opus_encoder::keep_tail(const float* pcm, int64_t frames) {
    const auto ch = static_cast<size_t>(channels_);
    const auto keep = static_cast<size_t>(std::min(frames, tail_frames)) * ch;
    const size_t cap = static_cast<size_t>(tail_frames) * ch;
    if (tail_.size() + keep > cap)
        tail_.erase(tail_.begin(), tail_.begin() + static_cast<std::ptrdiff_t>(tail_.size() + keep - cap));
    tail_.insert(tail_.end(), pcm + static_cast<size_t>(frames) * ch - keep,
                 pcm + static_cast<size_t>(frames) * ch);
}

void opus_encoder::resample(const float* pcm, int64_t frames) {
    if (!opus_->resampler) {
        push_48k(pcm, frames);
        return;
    }
    const auto ch = static_cast<size_t>(channels_);
    for (int64_t done = 0; done < frames;) {
        const int64_t n = std::min(frames - done, resample_chunk);
        resampled_.clear();
        opus_->resampler->process(pcm + static_cast<size_t>(done) * ch, n, resampled_);
        push_48k(resampled_.data(), static_cast<int64_t>(resampled_.size() / ch));
        done += n;
    }
}

void opus_encoder::push_48k(const float* pcm, int64_t frames) {
    const auto ch = static_cast<size_t>(channels_);
    while (frames > 0 && !ended_) {
        const int64_t take = std::min(frames, packet_frames_ - pending_frames_);
        std::copy_n(pcm, static_cast<size_t>(take) * ch,
                    pending_.data() + static_cast<size_t>(pending_frames_) * ch);
        pending_frames_ += take;
        pcm += static_cast<size_t>(take) * ch;
        frames -= take;
        if (pending_frames_ == packet_frames_) encode_packet();
    }
}

void opus_encoder::encode_packet() {
    const opus_int32 bytes = opus_multistream_encode_float(
        opus_->enc, pending_.data(), packet_frames_, packet_.data(), static_cast<opus_int32>(packet_.size()));
    if (bytes < 0)
        throw processing_error(fmt::format("opus_encoder: encoding failed: {}", opus_strerror(bytes)));
    pending_frames_ = 0;
    encoded_ += packet_frames_;
    ended_ = end_granule_ >= 0 && encoded_ >= end_granule_;
    ogg_packet packet{};
    packet.packet = packet_.data();
    packet.bytes = bytes;
    packet.e_o_s = ended_;
    // The last packet's granule position is short of the audio it codes: decoders drop the rest.
    packet.granulepos = ended_ ? end_granule_ : encoded_;
    packet.packetno = packetno_++;
    ogg_->write(packet);
}

void opus_encoder::on_finish() {
    // Rounded up, as RFC 7845 end trimming counts whole 48 kHz samples.
    end_granule_ = pre_skip_ + (input_frames_ * opus_rate + rate_ - 1) / rate_;
    // The audio continues, predicted and faded, then silence, until a packet reaches the end
    // (the lookahead and the resampler's latency both ask for input past it).
    auto extension = lpc_extension(tail_, channels_, extension_frames);
    resample(extension.data(), extension_frames);
    const std::vector<float> silence(static_cast<size_t>(resample_chunk) * static_cast<size_t>(channels_),
                                     0.0f);
    // Each round adds at least a chunk's worth of 48 kHz audio less the resampler's latency; the
    // bound only guards against a resampler that returns less.
    const int64_t rounds = 4 + (end_granule_ - encoded_ + packet_frames_) /
                                   std::max<int64_t>(1, resample_chunk * opus_rate / rate_ / 2);
    for (int64_t i = 0; i < rounds && !ended_; ++i) resample(silence.data(), resample_chunk);
    if (!ended_) throw processing_error("opus_encoder: the resampler did not give the stream's last samples");
    ogg_->finish();
    release();
}

void opus_encoder::on_abort() noexcept {
    release();
}

}  // namespace timeside
