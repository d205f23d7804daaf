// opus_encoder: blocks go to libopusenc whole (interleaved float, as it takes them), reordered
// into Vorbis channel order only for the surround layouts that need it. libopusenc resamples,
// computes pre-skip and end trimming, and hands us each finished page through a write callback.
#include "encoders/opus_encoder.hpp"

#include <algorithm>
#include <cstdint>
#include <random>

#include <fmt/format.h>
#include <opusenc.h>

#include "core/errors.hpp"

namespace timeside {

namespace {

struct comments_deleter {
    void operator()(OggOpusComments* c) const noexcept { ope_comments_destroy(c); }
};
using comments_ptr = std::unique_ptr<OggOpusComments, comments_deleter>;


// Larger blocks are fed in slices, since libopusenc counts frames in an int.
constexpr int64_t max_write_frames = 1 << 20;

int application_code(const std::string& name) {
    if (name == "voip") return OPUS_APPLICATION_VOIP;
    if (name == "lowdelay") return OPUS_APPLICATION_RESTRICTED_LOWDELAY;
    return OPUS_APPLICATION_AUDIO;
}

int close_stream(void*) noexcept {
    return 0;  // the byte sink is committed or aborted by the encoder base, not here
}

}  // namespace

// The encoder handle; destroying it never writes (libopusenc only calls close, a no-op here).
struct opus_session {
    OggOpusEnc* enc = nullptr;

    opus_session() = default;
    opus_session(const opus_session&) = delete;
    opus_session& operator=(const opus_session&) = delete;
    ~opus_session() {
        if (enc) ope_encoder_destroy(enc);
    }
};

const processor_info& opus_encoder::describe() {
    static const processor_info info{
        "opus_encoder",
        "Opus encoder",
        "1.0",
        "Ogg Opus (libopusenc, VBR; any input rate, resampled to 48 kHz)",
        "",
        processor_kind::encoder,
        {integer_param("bitrate", "target bitrate for all channels together", 96, 6, 510, "kbps"),
         integer_param("complexity", "encoder effort: 0 (fastest) to 10 (best)", 10, 0, 10),
         choice_param("application", "what the encoder tunes for: music, speech or the lowest latency",
                      "audio", {"audio", "voip", "lowdelay"}),
         integer_choice_param("frame_duration",
                              "packet duration; 120 (the default) encodes fastest, 20 gives live listeners the "
                              "lowest latency (lowdelay uses 20 unless set)",
                              120, {20, 40, 60, 80, 100, 120}, "ms"),
         integer_param("page_duration",
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
    opus_.reset();
}

int opus_encoder::on_page(void* self, const unsigned char* page, std::int32_t len) noexcept {
    auto* e = static_cast<opus_encoder*>(self);
    // Nothing may unwind through libopusenc's C frames: keep the sink's error, return failure
    // (libopusenc then reports OPE_WRITE_FAIL and check() rethrows the sink's own message).
    try {
        e->sink().write({page, static_cast<size_t>(len)}, e->in_header_);
        return 0;
    } catch (...) {
        e->write_error_ = std::current_exception();
        return 1;
    }
}

void opus_encoder::check(int err, const char* what) {
    if (err == OPE_OK) return;
    if (write_error_) std::rethrow_exception(std::exchange(write_error_, nullptr));
    throw processing_error(fmt::format("opus_encoder: {}: {}", what, ope_strerror(err)));
}

void opus_encoder::on_setup(const stream_info& in) {
    release();
    write_error_ = nullptr;
    const int rate = in.format.samplerate, channels = in.format.channels;
    // Mapping family 0 carries mono and stereo, family 1 the Vorbis surround layouts up to 7.1.
    if (channels < 1 || channels > 8)
        throw usage_error(
            fmt::format("opus_encoder: cannot encode {} channels (Opus takes 1 to 8)", channels));
    if (rate < 1)
        throw usage_error(fmt::format("opus_encoder: cannot encode a sample rate of {} Hz", rate));
    const int family = channels <= 2 ? 0 : 1;

    comments_ptr comments(ope_comments_create());
    if (!comments) throw processing_error("opus_encoder: libopusenc could not allocate the tags");
    auto add = [&](const char* field, const std::string& value) {
        if (int err = ope_comments_add(comments.get(), field, value.c_str()); err != OPE_OK)
            throw processing_error(
                fmt::format("opus_encoder: cannot add the {} tag: {}", field, ope_strerror(err)));
    };
    if (in.media) {
        static const std::pair<const char*, const char*> wanted[] = {
            {"title", "TITLE"}, {"artist", "ARTIST"}, {"album", "ALBUM"}};
        for (const auto& [key, field] : wanted)
            if (auto it = in.media->tags.find(key); it != in.media->tags.end() && !it->second.empty())
                add(field, it->second);
    }
    add("ENCODER", "TimeSide " TIMESIDE_VERSION);

    OpusEncCallbacks callbacks{&opus_encoder::on_page, &close_stream};
    auto s = std::make_unique<opus_session>();
    int err = OPE_OK;
    // libopusenc copies the comments: ours are released at the end of this scope.
    s->enc = ope_encoder_create_callbacks(&callbacks, this, comments.get(), rate, channels, family, &err);
    if (!s->enc || err != OPE_OK)
        throw usage_error(fmt::format("opus_encoder: libopusenc cannot encode {} Hz, {} channel(s): {}", rate,
                                      channels, ope_strerror(err)));

    const auto bitrate = parameters().integer("bitrate");
    const auto complexity = parameters().integer("complexity");
    const auto& application = parameters().string("application");
    if (err = ope_encoder_ctl(s->enc, OPUS_SET_BITRATE(static_cast<opus_int32>(bitrate * 1000))); err != OPE_OK)
        throw usage_error(fmt::format("opus_encoder: bitrate={} kbps refused for {} channel(s): {}", bitrate,
                                      channels, ope_strerror(err)));
    if (err = ope_encoder_ctl(s->enc, OPUS_SET_COMPLEXITY(static_cast<opus_int32>(complexity))); err != OPE_OK)
        throw usage_error(fmt::format("opus_encoder: complexity={} refused: {}", complexity, ope_strerror(err)));
    // Set before the header is written: the pre-skip (the codec's lookahead) depends on it.
    if (err = ope_encoder_ctl(s->enc, OPUS_SET_APPLICATION(application_code(application))); err != OPE_OK)
        throw usage_error(fmt::format("opus_encoder: application={} refused: {}", application, ope_strerror(err)));
    // Unconstrained VBR, as opusenc and FFmpeg use it: bits go where the signal needs them.
    if (err = ope_encoder_ctl(s->enc, OPUS_SET_VBR_CONSTRAINT(0)); err != OPE_OK)
        throw processing_error(fmt::format("opus_encoder: cannot select VBR: {}", ope_strerror(err)));
    // 120 ms packets: six 20 ms CELT frames (or two 60 ms SILK frames) coded in sequence as
    // separate packets would be, then packed together. Why: libopusenc makes two multistream ctl
    // calls per packet, and libopus answers each by probing the CPU (CPUID, a costly VM exit
    // under virtualisation); with 20 ms packets that was a fifth of the encoding time. End
    // trimming still cuts at the exact sample. The low-delay application keeps 20 ms packets:
    // latency is what it is chosen for, and `frame_duration` lets a live mount ask for 20 ms too.
    const int64_t ms = application == "lowdelay" && !parameters().given("frame_duration")
                           ? 20
                           : parameters().integer("frame_duration");
    const int frame_duration = ms == 20   ? OPUS_FRAMESIZE_20_MS
                               : ms == 40 ? OPUS_FRAMESIZE_40_MS
                               : ms == 60 ? OPUS_FRAMESIZE_60_MS
                               : ms == 80 ? OPUS_FRAMESIZE_80_MS
                               : ms == 100 ? OPUS_FRAMESIZE_100_MS
                                           : OPUS_FRAMESIZE_120_MS;
    if (err = ope_encoder_ctl(s->enc, OPUS_SET_EXPERT_FRAME_DURATION(frame_duration)); err != OPE_OK)
        throw processing_error(fmt::format("opus_encoder: cannot set the packet duration: {}", ope_strerror(err)));
    // Pages end before they would span more than page_duration: half a second (the default) keeps
    // the 27-byte page header about 0.5% of a 96 kbit/s stream; a live mount asks for less.
    const auto muxing_delay_48k = static_cast<opus_int32>(parameters().integer("page_duration") * 48);
    if (err = ope_encoder_ctl(s->enc, OPE_SET_MUXING_DELAY(muxing_delay_48k)); err != OPE_OK)
        throw processing_error(fmt::format("opus_encoder: cannot set the page duration: {}", ope_strerror(err)));
    // libopusenc also holds audio back before encoding it (2 s by default, room for decisions we
    // never take: we do not chain streams). No more than a page: a live listener hears it later.
    if (err = ope_encoder_ctl(s->enc, OPE_SET_DECISION_DELAY(muxing_delay_48k)); err != OPE_OK)
        throw processing_error(fmt::format("opus_encoder: cannot set the decision delay: {}", ope_strerror(err)));
    // libopusenc would take the serial from rand(), unseeded: the same in every process.
    const auto serial = static_cast<opus_int32>(std::random_device{}() & 0x7fffffff);
    if (err = ope_encoder_ctl(s->enc, OPE_SET_SERIALNO(serial)); err != OPE_OK)
        throw processing_error(fmt::format("opus_encoder: cannot set the stream serial: {}", ope_strerror(err)));

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
    wrote_audio_ = false;
    channels_ = channels;
    opus_ = std::move(s);

    // The OpusHead and OpusTags pages go out now, flagged, and audio starts on a page of its own.
    in_header_ = true;
    err = ope_encoder_flush_header(opus_->enc);
    in_header_ = false;
    check(err, "cannot write the stream headers");
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
    for (int64_t done = 0; done < n;) {
        const int64_t count = std::min(n - done, max_write_frames);
        check(ope_encoder_write_float(opus_->enc, pcm + done * channels_, static_cast<int>(count)),
              "encoding failed");
        done += count;
    }
    wrote_audio_ = true;
}

void opus_encoder::on_finish() {
    // libopusenc sets the stream's length on each write: an empty stream needs one, of no frames.
    static const float none = 0;
    if (!wrote_audio_) check(ope_encoder_write_float(opus_->enc, &none, 0), "encoding failed");
    // Pads the end, encodes what is buffered and ends on the exact granule position.
    check(ope_encoder_drain(opus_->enc), "cannot finish the stream");
    release();
}

void opus_encoder::on_abort() noexcept {
    release();
}

}  // namespace timeside
