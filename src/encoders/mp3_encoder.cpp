// mp3_encoder: whole blocks go to LAME as float (no conversion on our side); LAME's output is cut
// at frame boundaries by mp3_framer, so every chunk a live listener receives starts on a frame.
// LAME's settings are ffmpeg's for `-c:a libmp3lame -b:a 128k` (default -q 3, joint stereo).
#include "encoders/mp3_encoder.hpp"

#include <fmt/format.h>
#include <lame/lame.h>

#include <algorithm>
#include <array>

#include "core/errors.hpp"
#include "encoders/id3v2.hpp"

namespace timeside {

namespace {

// The layer III bitrates of MPEG-1 and MPEG-2/2.5 together, but 144 (MPEG-2 only, rarely used).
const std::vector<int64_t> offered_bitrates = {8,  16,  24,  32,  40,  48,  56,  64, 80,
                                               96, 112, 128, 160, 192, 224, 256, 320};

// Frames handed to LAME per call: bounds the output buffer whatever the block size.
constexpr int64_t max_frames_per_call = 1 << 16;

// What LAME's documentation asks the output buffer to hold for n frames: 1.25 n + 7200 bytes.
size_t lame_buffer_size(int64_t frames) {
    return static_cast<size_t>(frames + frames / 4 + 7200);
}

}  // namespace

void mp3_encoder::lame_closer::operator()(lame_global_struct* g) const noexcept {
    lame_close(g);
}

const processor_info& mp3_encoder::describe() {
    static const processor_info info{
        "mp3_encoder",
        "MP3 encoder",
        "1.0",
        "MP3 (LAME, CBR or VBR) with an ID3v2.4 tag and a Xing/LAME frame for exact length",
        "",
        processor_kind::encoder,
        {choice_param("mode", "cbr: constant bitrate (bitrate=); vbr: variable bitrate (quality=)", "cbr",
                      {"cbr", "vbr"}),
         integer_choice_param(
             "bitrate",
             "constant bitrate (mode=cbr): 32 to 320 at 32 to 48 kHz, 8 to 160 at 16 to 24 kHz, 8 to 64 "
             "below (the default then 64)",
             128, offered_bitrates, "kbit/s"),
         number_param("quality",
                      "VBR quality (mode=vbr) as LAME's -V: 0 best and largest, 9 smallest; 2 is about "
                      "190 kbit/s stereo",
                      2.0, 0.0, 9.0)}};
    return info;
}

mp3_encoder::mp3_encoder(parameter_set params) : encoder(describe(), std::move(params)) {}

mp3_encoder::~mp3_encoder() {
    release();
}

void mp3_encoder::release() noexcept {
    lame_.reset();
    framer_.clear();
    info_.reset();
}

// MPEG codes 8, 11.025, 12, 16, 22.05, 24, 32, 44.1 and 48 kHz. Any other rate is resampled by
// LAME, to the lowest of those at or above it, so no part of the input's band is lost; above
// 48 kHz to 44.1 kHz for the 44.1 kHz family (88.2, 176.4 kHz: an integer ratio) and to 48 kHz
// for the rest (96, 192 kHz). We set it ourselves: LAME's own choice depends on the bitrate and
// may drop 44.1 kHz input to 32 kHz or lower at low bitrates.
int mp3_encoder::encode_rate(int input_rate) {
    static constexpr std::array<int, 9> rates = {8000,  11025, 12000, 16000, 22050,
                                                 24000, 32000, 44100, 48000};
    if (input_rate > 48000) return input_rate % 11025 == 0 ? 44100 : 48000;
    return *std::lower_bound(rates.begin(), rates.end(), input_rate);
}

void mp3_encoder::on_setup(const stream_info& in) {
    release();
    const int rate = in.format.samplerate, channels = in.format.channels;
    if (channels < 1 || channels > 2)
        throw usage_error(fmt::format(
            "mp3_encoder: cannot encode {} channels (MP3 takes 1 or 2; downmix with --channels 2)",
            channels));
    if (rate < 1) throw usage_error(fmt::format("mp3_encoder: cannot encode a sample rate of {} Hz", rate));
    const int out_rate = encode_rate(rate);
    const bool vbr = parameters().string("mode") == "vbr";
    int bitrate = static_cast<int>(parameters().integer("bitrate"));

    if (!vbr) {
        // MPEG-2.5 (8 to 12 kHz) is an extension whose table goes to 160 kbit/s, but LAME caps it
        // at 64 and would silently encode 64 for more: what we accept is what LAME writes.
        const int most = out_rate < 16000 ? 64 : 320;
        std::vector<int> valid;
        for (int b : layer3_bitrates(out_rate))
            if (b <= most &&
                std::find(offered_bitrates.begin(), offered_bitrates.end(), b) != offered_bitrates.end())
                valid.push_back(b);
        // The default asks for 128 "or the most the rate carries", so an 8 kHz input encodes as is.
        if (!parameters().given("bitrate") && !valid.empty()) bitrate = std::min(bitrate, valid.back());
        if (std::find(valid.begin(), valid.end(), bitrate) == valid.end()) {
            const std::string resampled =
                out_rate == rate ? std::string{} : fmt::format(" (the rate {} Hz input is encoded at)", rate);
            throw usage_error(fmt::format(
                "mp3_encoder: bitrate={} kbit/s cannot be coded at {} Hz{} in {} layer III; valid bitrates "
                "there: {}",
                bitrate, out_rate, resampled, mpeg_version_name(mpeg_version(out_rate)),
                fmt::join(valid, ", ")));
        }
    }

    std::unique_ptr<lame_global_struct, lame_closer> lame(lame_init());
    if (!lame) throw processing_error("mp3_encoder: LAME failed to start (out of memory)");
    lame_t g = lame.get();
    lame_set_num_channels(g, channels);
    lame_set_in_samplerate(g, rate);
    lame_set_out_samplerate(g, out_rate);
    lame_set_mode(g, channels == 1 ? MONO : JOINT_STEREO);
    // The ID3v2 tag is ours (v2.4, UTF-8); LAME writes none, at the start or at the end.
    lame_set_write_id3tag_automatic(g, 0);
    lame_set_findReplayGain(g, 0);
    // The Xing/LAME frame is ours (mp3_info_frame): LAME's own is dropped, silently, when the
    // bitrate makes its frame too small (below 64 kbit/s at 44.1 kHz). Only where it can be
    // patched once the counts are known: on a live sink, a placeholder would tell players a
    // wrong (zero) length forever.
    lame_set_bWriteVbrTag(g, 0);
    if (vbr) {
        lame_set_VBR(g, vbr_default);
        lame_set_VBR_quality(g, static_cast<float>(parameters().number("quality")));
    } else {
        lame_set_VBR(g, vbr_off);
        lame_set_brate(g, bitrate);
    }
    if (int err = lame_init_params(g); err < 0)
        throw usage_error(fmt::format(
            "mp3_encoder: LAME cannot encode {} Hz, {} channel(s) at {} (error {})", rate, channels,
            vbr ? fmt::format("mode=vbr, quality={}", parameters().number("quality"))
                : fmt::format("mode=cbr, bitrate={}", bitrate),
            err));

    std::vector<id3_text_frame> frames;
    if (in.media) {
        static const std::pair<const char*, const char*> wanted[] = {
            {"title", "TIT2"}, {"artist", "TPE1"}, {"album", "TALB"}};
        for (const auto& [key, id] : wanted)
            if (auto it = in.media->tags.find(key); it != in.media->tags.end())
                frames.push_back({id, it->second});
    }
    frames.push_back({"TSSE", "TimeSide " TIMESIDE_VERSION});
    const auto tag = sink().is_live() ? std::vector<unsigned char>{} : id3v2_4_tag(frames);
    if (!tag.empty()) sink().write(tag, true);

    lame_ = std::move(lame);
    channels_ = channels;
    lame_tag_ = sink().can_rewrite();
    info_.reset();
    tag_offset_ = tag.size();
    input_rate_ = rate;
}

void mp3_encoder::on_process(const block_ptr& b) {
    if (b->channels() != channels_)
        throw processing_error(fmt::format("mp3_encoder: block of {} channels in a {}-channel stream",
                                           b->channels(), channels_));
    const float* samples = b->samples().data();
    for (int64_t done = 0, total = b->frames(); done < total;) {
        const int64_t n = std::min(total - done, max_frames_per_call);
        const size_t room = lame_buffer_size(n);
        unsigned char* out = framer_.prepare(room);
        const float* p = samples + done * channels_;
        // The interleaved entry point steps by two samples whatever the channel count: mono
        // goes through the planar one.
        const int written = channels_ == 2
                                ? lame_encode_buffer_interleaved_ieee_float(
                                      lame_.get(), p, static_cast<int>(n), out, static_cast<int>(room))
                                : lame_encode_buffer_ieee_float(lame_.get(), p, nullptr, static_cast<int>(n),
                                                                out, static_cast<int>(room));
        if (written < 0)
            throw processing_error(fmt::format("mp3_encoder: LAME failed to encode (error {})", written));
        framer_.commit(static_cast<size_t>(written));
        done += n;
    }
    drain();
}

// What the LAME tag says besides its counts; delay and padding are final once LAME is flushed.
mp3_tag_fields mp3_encoder::tag_fields() const {
    mp3_tag_fields f;
    f.encoder = std::string("LAME") + get_lame_short_version();
    f.vbr = lame_get_VBR(lame_.get()) != vbr_off;
    f.bitrate_kbps = f.vbr ? 0 : lame_get_brate(lame_.get());
    f.lowpass_hz = lame_get_lowpassfreq(lame_.get());
    f.encoder_delay = lame_get_encoder_delay(lame_.get());
    f.padding = lame_get_encoder_padding(lame_.get());
    f.source_rate = input_rate_;
    return f;
}

// Writes the whole frames LAME has completed, after the Xing/LAME frame (alone, as a header
// chunk) shaped like the first of them.
void mp3_encoder::drain() {
    if (lame_tag_ && !info_) {
        if (framer_.whole_frames(1) == 0) return;
        info_.emplace(framer_.data().first(4));
        sink().write(info_->placeholder(tag_fields()), true);
    }
    if (const size_t whole = framer_.whole_frames(); whole > 0) {
        const auto frames = framer_.data().first(whole);
        if (info_)
            for (size_t at = 0; at < whole;) {
                const size_t length = parse_mp3_frame_header(frames.subspan(at))->length;
                info_->add_audio_frame(frames.subspan(at, length));
                at += length;
            }
        sink().write(frames, false);
        framer_.consume(whole);
    }
}

void mp3_encoder::on_finish() {
    // Flushing can emit a few frames (more when resampling): room for eight of the largest.
    const size_t room = 8 * 1441 + 7200;
    const int written = lame_encode_flush(lame_.get(), framer_.prepare(room), static_cast<int>(room));
    if (written < 0)
        throw processing_error(fmt::format("mp3_encoder: LAME failed to flush (error {})", written));
    framer_.commit(static_cast<size_t>(written));
    drain();
    if (framer_.size() != 0)
        throw processing_error(fmt::format(
            "mp3_encoder: LAME's output ended inside a frame ({} bytes left over)", framer_.size()));
    if (lame_tag_) {
        if (!info_) throw processing_error("mp3_encoder: LAME wrote no frame");
        if (!sink().rewrite(tag_offset_, info_->final_frame(tag_fields())))
            throw processing_error("mp3_encoder: the output refused the final Xing/LAME frame");
    }
    release();
}

void mp3_encoder::on_abort() noexcept {
    release();
}

}  // namespace timeside
