// flac_encoder: whole blocks are converted into one reused int32 buffer and handed to libFLAC in one
// call; each of libFLAC's writes (a metadata block, or one frame) becomes one sink chunk, so a live
// listener can join at any chunk after the header. libFLAC's seeks at the end become rewrites.
#include "encoders/flac_encoder.hpp"

#include <FLAC/metadata.h>
#include <FLAC/stream_encoder.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "core/errors.hpp"

// Exported by libFLAC (FLAC_API, declared in its source tree's share/private.h, which the flac
// tool uses) but missing from the installed headers of 1.4.
extern "C" FLAC_API FLAC__bool FLAC__stream_encoder_set_do_md5(FLAC__StreamEncoder* encoder, FLAC__bool value);

namespace timeside {

namespace {

struct encoder_deleter {
    void operator()(FLAC__StreamEncoder* e) const { FLAC__stream_encoder_delete(e); }
};
struct metadata_deleter {
    void operator()(FLAC__StreamMetadata* m) const { FLAC__metadata_object_delete(m); }
};
using metadata_ptr = std::unique_ptr<FLAC__StreamMetadata, metadata_deleter>;

constexpr int max_rate = 655350;          // the largest a frame header can state (10 Hz units)
constexpr unsigned padding_bytes = 1024;  // room for a tag editor, without weighing on small files
constexpr int seek_spacing_seconds = 10;  // as the flac tool's default (-S 10s)

metadata_ptr new_metadata(FLAC__MetadataType type) {
    metadata_ptr m(FLAC__metadata_object_new(type));
    if (!m) throw processing_error("flac_encoder: out of memory for the metadata");
    return m;
}

void add_comment(FLAC__StreamMetadata* comments, const char* name, const std::string& value) {
    FLAC__StreamMetadata_VorbisComment_Entry entry;
    if (!FLAC__metadata_object_vorbiscomment_entry_from_name_value_pair(&entry, name, value.c_str()))
        throw processing_error(fmt::format("flac_encoder: cannot store the {} tag", name));
    if (!FLAC__metadata_object_vorbiscomment_append_comment(comments, entry, /*copy=*/false)) {
        std::free(entry.entry);
        throw processing_error(fmt::format("flac_encoder: cannot store the {} tag", name));
    }
}

// Round to nearest (ties to even, as lrint in wav_encoder) and clip to full scale; NaN becomes
// silence. Adding then removing 2^23 with the value's sign rounds a float of magnitude up to 2^23
// to an integer in the current rounding mode, without a library call: the loop vectorises.
void to_pcm(const float* in, size_t count, float scale, int32_t* out) {
    const float lo = -scale, hi = scale - 1.0f;
    for (size_t i = 0; i < count; ++i) {
        const float x = in[i] * scale;
        float v = std::isnan(x) ? 0.0f : x;
        v = v < lo ? lo : v;
        v = v > hi ? hi : v;
        const float m = std::copysign(8388608.0f, v);
        out[i] = static_cast<int32_t>((v + m) - m);
    }
}

}  // namespace

// STREAMINFO's MD5 (the samples as little-endian integers of bits/8 bytes, interleaved) on a thread
// of its own: libFLAC's, on the encoding thread, is a fifth of the encode. Blocks are immutable and
// shared, so the lane converts them itself; at most `max_pending` wait. Not copyable (mutex).
class md5_lane {
public:
    explicit md5_lane(int bits) : bits_(bits), ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
        if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_md5(), nullptr) != 1)
            throw processing_error("flac_encoder: OpenSSL cannot compute an MD5");
        thread_ = std::thread([this] { run(); });
    }
    ~md5_lane() { close(/*discard=*/true); }

    void push(block_ptr b) {
        std::unique_lock lock(mutex_);
        space_.wait(lock, [&] { return queue_.size() < max_pending || closed_; });
        if (closed_) return;  // the lane failed: digest() will say so
        queue_.push_back(std::move(b));
        ready_.notify_one();
    }

    // Waits for every block pushed; false if hashing failed.
    bool digest(unsigned char out[16]) {
        close(/*discard=*/false);
        unsigned len = 0;
        return ok_ && EVP_DigestFinal_ex(ctx_.get(), out, &len) == 1 && len == 16;
    }

private:
    static constexpr size_t max_pending = 8;
    void close(bool discard) noexcept {
        {
            std::lock_guard lock(mutex_);
            if (discard) queue_.clear();
            closed_ = true;
        }
        ready_.notify_one();
        if (thread_.joinable()) thread_.join();
    }

    void run() noexcept {
        try {
            std::vector<int32_t> ints;
            std::vector<unsigned char> le;
            const size_t width = static_cast<size_t>(bits_ / 8);
            for (;;) {
                block_ptr b;
                {
                    std::unique_lock lock(mutex_);
                    ready_.wait(lock, [&] { return !queue_.empty() || closed_; });
                    if (queue_.empty()) return;
                    b = std::move(queue_.front());
                    queue_.pop_front();
                }
                space_.notify_one();
                const auto samples = b->samples();
                ints.resize(samples.size());
                le.resize(samples.size() * width);
                to_pcm(samples.data(), samples.size(), bits_ == 16 ? 32768.0f : 8388608.0f, ints.data());
                unsigned char* out = le.data();
                if (width == 2)  // a constant width per loop, so that it vectorises
                    for (size_t i = 0; i < ints.size(); ++i, out += 2) {
                        const auto v = static_cast<uint32_t>(ints[i]);
                        out[0] = static_cast<unsigned char>(v);
                        out[1] = static_cast<unsigned char>(v >> 8);
                    }
                else
                    for (size_t i = 0; i < ints.size(); ++i, out += 3) {
                        const auto v = static_cast<uint32_t>(ints[i]);
                        out[0] = static_cast<unsigned char>(v);
                        out[1] = static_cast<unsigned char>(v >> 8);
                        out[2] = static_cast<unsigned char>(v >> 16);
                    }
                if (ok_ && EVP_DigestUpdate(ctx_.get(), le.data(), le.size()) != 1) ok_ = false;
            }
        } catch (...) {
            ok_ = false;  // out of memory: the encode fails at digest(), not the process
            std::lock_guard lock(mutex_);
            queue_.clear();
            closed_ = true;
            space_.notify_all();
        }
    }

    const int bits_;
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
    std::mutex mutex_;
    std::condition_variable ready_, space_;
    std::deque<block_ptr> queue_;
    bool closed_ = false;
    bool ok_ = true;      // written by the lane, read after join
    std::thread thread_;  // last: starts once everything it uses exists
};

// The metadata blocks outlive the encoder, which keeps pointers to them until it is finished:
// members are destroyed in reverse order, the encoder first.
struct flac_session {
    metadata_ptr comments, seektable, padding;
    std::unique_ptr<FLAC__StreamEncoder, encoder_deleter> encoder;
};

// libFLAC's callbacks. Exceptions must not cross libFLAC's C frames: a sink's error is kept and
// rethrown once libFLAC has returned.
struct flac_io {
    static FLAC__StreamEncoderWriteStatus write(const FLAC__StreamEncoder*, const FLAC__byte buffer[],
                                                size_t bytes, uint32_t samples, uint32_t, void* data) {
        auto& self = *static_cast<flac_encoder*>(data);
        try {
            std::span<const unsigned char> chunk(buffer, bytes);
            if (self.position_ == self.written_) {
                // Metadata comes with no samples: those chunks are what a late listener needs first.
                if (samples == 0 && bytes > 0 && (buffer[0] & 0x7f) == FLAC__METADATA_TYPE_STREAMINFO)
                    self.streaminfo_offset_ = self.position_;
                self.sink().write(chunk, samples == 0);
                self.written_ += bytes;
            } else if (bytes > self.written_ - self.position_ || !self.sink().rewrite(self.position_, chunk)) {
                throw processing_error("flac_encoder: the output refused to rewrite the FLAC header");
            }
            self.position_ += bytes;
            return FLAC__STREAM_ENCODER_WRITE_STATUS_OK;
        } catch (...) {
            self.sink_error_ = std::current_exception();
            return FLAC__STREAM_ENCODER_WRITE_STATUS_FATAL_ERROR;
        }
    }

    static FLAC__StreamEncoderSeekStatus seek(const FLAC__StreamEncoder*, FLAC__uint64 offset, void* data) {
        auto& self = *static_cast<flac_encoder*>(data);
        if (offset > self.written_) return FLAC__STREAM_ENCODER_SEEK_STATUS_ERROR;
        self.position_ = offset;
        return FLAC__STREAM_ENCODER_SEEK_STATUS_OK;
    }

    static FLAC__StreamEncoderTellStatus tell(const FLAC__StreamEncoder*, FLAC__uint64* offset, void* data) {
        *offset = static_cast<flac_encoder*>(data)->position_;
        return FLAC__STREAM_ENCODER_TELL_STATUS_OK;
    }
};

const processor_info& flac_encoder::describe() {
    static const processor_info info{
        "flac_encoder",
        "FLAC encoder",
        "1.0",
        "FLAC (libFLAC), lossless, 16 or 24 bits, with STREAMINFO MD5, seek table and tags",
        "",
        processor_kind::encoder,
        {integer_param("compression",
                       "compression level: 0 (fastest) to 8 (smallest), libFLAC's presets (flac -0 ... -8; 5 with "
                       "adaptive mid-side, -5M)",
                       5, 0, 8),
         integer_choice_param("bits", "bits per sample: 16 or 24", 16, {16, 24}, "bits")}};
    return info;
}

flac_encoder::flac_encoder(parameter_set params) : encoder(describe(), std::move(params)) {
    bits_ = static_cast<int>(parameters().integer("bits"));
}

flac_encoder::~flac_encoder() {
    release();
}

void flac_encoder::release() noexcept {
    md5_.reset();
    flac_.reset();
    buffer_ = {};
}

void flac_encoder::on_setup(const stream_info& in) {
    release();
    const int rate = in.format.samplerate, channels = in.format.channels;
    if (rate < 1 || rate > max_rate)
        throw usage_error(
            fmt::format("flac_encoder: cannot encode a sample rate of {} Hz (FLAC takes 1 to {} Hz)", rate, max_rate));
    if (channels < 1 || channels > 8)
        throw usage_error(fmt::format("flac_encoder: cannot encode {} channels (FLAC takes 1 to 8)", channels));
    channels_ = channels;
    can_rewrite_ = sink().can_rewrite();
    // STREAMINFO holds 36 bits of samples; 0 there means "unknown".
    declared_frames_ = in.total_frames > 0 && in.total_frames < (int64_t{1} << 36) ? in.total_frames : -1;
    frames_ = 0;
    position_ = written_ = 0;
    sink_error_ = nullptr;

    // Held from here on, so that fail() can read libFLAC's state; release() clears it.
    flac_ = std::make_unique<flac_session>();
    flac_session* s = flac_.get();
    s->encoder.reset(FLAC__stream_encoder_new());
    if (!s->encoder) throw processing_error("flac_encoder: out of memory for libFLAC's encoder");
    FLAC__StreamEncoder* e = s->encoder.get();
    const auto level = static_cast<uint32_t>(parameters().integer("compression"));
    bool ok = FLAC__stream_encoder_set_channels(e, static_cast<uint32_t>(channels)) &&
              FLAC__stream_encoder_set_bits_per_sample(e, static_cast<uint32_t>(bits_)) &&
              FLAC__stream_encoder_set_sample_rate(e, static_cast<uint32_t>(rate)) &&
              FLAC__stream_encoder_set_compression_level(e, level) &&
              // Rates above 65535 Hz that are not a multiple of 10 are outside the streamable subset:
              // their frames refer to STREAMINFO for the rate, which every listener gets first.
              FLAC__stream_encoder_set_streamable_subset(e, FLAC__format_sample_rate_is_subset(rate)) &&
              // The MD5 is ours (md5_lane), and only where it can be written back.
              FLAC__stream_encoder_set_do_md5(e, false);
    // At the default level, mid-side stereo is chosen adaptively (libFLAC's -4 choice, flac -M)
    // rather than by encoding all four channel pairs of every frame: a quarter less time for 69
    // bytes more in 45 MB (bench/'s ten minutes), still 2% smaller than FFmpeg's level 5.
    if (ok && level == 5) ok = FLAC__stream_encoder_set_loose_mid_side_stereo(e, true);
    if (ok && declared_frames_ > 0)
        ok = FLAC__stream_encoder_set_total_samples_estimate(e, static_cast<FLAC__uint64>(declared_frames_));
    if (!ok) fail("configuring the encoder");

    std::vector<FLAC__StreamMetadata*> blocks;
    s->comments = new_metadata(FLAC__METADATA_TYPE_VORBIS_COMMENT);
    if (in.media) {
        static const std::pair<const char*, const char*> wanted[] = {
            {"title", "TITLE"}, {"artist", "ARTIST"}, {"album", "ALBUM"}};
        for (const auto& [key, field] : wanted)
            if (auto it = in.media->tags.find(key); it != in.media->tags.end() && !it->second.empty())
                add_comment(s->comments.get(), field, it->second);
    }
    add_comment(s->comments.get(), "ENCODER", "TimeSide " TIMESIDE_VERSION);
    blocks.push_back(s->comments.get());
    // Seek points and padding only help a file: libFLAC fills the points in as the frames go by and
    // writes them back at the end, which a live stream cannot take.
    if (can_rewrite_ && declared_frames_ > 0) {
        s->seektable = new_metadata(FLAC__METADATA_TYPE_SEEKTABLE);
        const auto spacing = static_cast<uint32_t>(rate) * seek_spacing_seconds;
        if (!FLAC__metadata_object_seektable_template_append_spaced_points_by_samples(
                s->seektable.get(), spacing, static_cast<FLAC__uint64>(declared_frames_)) ||
            !FLAC__metadata_object_seektable_template_sort(s->seektable.get(), /*compact=*/true))
            throw processing_error("flac_encoder: out of memory for the seek table");
        blocks.push_back(s->seektable.get());
    }
    if (can_rewrite_) {
        s->padding = new_metadata(FLAC__METADATA_TYPE_PADDING);
        s->padding->length = padding_bytes;
        blocks.push_back(s->padding.get());
    }
    if (!FLAC__stream_encoder_set_metadata(e, blocks.data(), static_cast<uint32_t>(blocks.size())))
        fail("configuring the metadata");

    if (can_rewrite_) md5_ = std::make_unique<md5_lane>(bits_);
    // Without seek and tell callbacks libFLAC leaves STREAMINFO as first written.
    const auto status = FLAC__stream_encoder_init_stream(e, &flac_io::write, can_rewrite_ ? &flac_io::seek : nullptr,
                                                         can_rewrite_ ? &flac_io::tell : nullptr, nullptr, this);
    if (status != FLAC__STREAM_ENCODER_INIT_STATUS_OK) {
        if (sink_error_) std::rethrow_exception(std::exchange(sink_error_, nullptr));
        if (status == FLAC__STREAM_ENCODER_INIT_STATUS_ENCODER_ERROR) fail("writing the stream header");
        throw usage_error(fmt::format("flac_encoder: libFLAC refuses {} Hz, {} channel(s), bits={}, compression={}: {}",
                                      rate, channels, bits_, level, FLAC__StreamEncoderInitStatusString[status]));
    }
}

void flac_encoder::on_process(const block_ptr& b) {
    if (b->channels() != channels_)
        throw processing_error(fmt::format("flac_encoder: block of {} channels in a {}-channel stream",
                                           b->channels(), channels_));
    int64_t n = b->frames();
    // A STREAMINFO that cannot be patched must stay true: libFLAC's own decoder stops at the total
    // it declares, so frames past it (an estimate that fell short) are dropped, as wav_encoder does.
    if (!can_rewrite_ && declared_frames_ > 0) n = std::min(n, declared_frames_ - frames_);
    if (n <= 0) return;
    if (md5_) md5_->push(b);  // whole blocks: a rewritable sink never cuts one
    encode(b->samples().data(), n);
}

void flac_encoder::encode(const float* samples, int64_t frames) {
    const size_t count = static_cast<size_t>(frames) * static_cast<size_t>(channels_);
    if (buffer_.size() < count) buffer_.resize(count);
    to_pcm(samples, count, bits_ == 16 ? 32768.0f : 8388608.0f, buffer_.data());
    if (!FLAC__stream_encoder_process_interleaved(flac_->encoder.get(), buffer_.data(), static_cast<uint32_t>(frames)))
        fail("encoding");
    frames_ += frames;
}

void flac_encoder::encode_silence(int64_t frames) {
    constexpr int64_t step = 4096;
    buffer_.assign(static_cast<size_t>(std::min(frames, step)) * static_cast<size_t>(channels_), 0);
    while (frames > 0) {
        const auto n = std::min(frames, step);
        if (!FLAC__stream_encoder_process_interleaved(flac_->encoder.get(), buffer_.data(), static_cast<uint32_t>(n)))
            fail("encoding");
        frames_ += n;
        frames -= n;
    }
}

void flac_encoder::on_finish() {
    // Fewer frames than an unpatchable STREAMINFO declared: silence keeps the stream what it says.
    if (!can_rewrite_ && declared_frames_ > frames_) encode_silence(declared_frames_ - frames_);
    // Points past the real end (the length was an estimate) would point at nothing: libFLAC
    // writes placeholders, which readers skip, in their place. libFLAC holds this very table.
    if (auto* table = flac_->seektable.get())
        for (uint32_t i = 0; i < table->data.seek_table.num_points; ++i) {
            auto& p = table->data.seek_table.points[i];
            if (p.sample_number != FLAC__STREAM_METADATA_SEEKPOINT_PLACEHOLDER &&
                p.sample_number >= static_cast<FLAC__uint64>(frames_))
                p = {FLAC__STREAM_METADATA_SEEKPOINT_PLACEHOLDER, 0, 0};
        }
    // Encodes the last partial frame, then seeks back to STREAMINFO and the seek table.
    if (!FLAC__stream_encoder_finish(flac_->encoder.get())) fail("finishing the stream");
    if (md5_) {
        // After libFLAC's own rewrite of STREAMINFO, which left the MD5 at zero.
        unsigned char digest[16];
        if (!md5_->digest(digest)) throw processing_error("flac_encoder: computing the MD5 of the samples failed");
        constexpr uint64_t md5_at = 4 + 18;  // past the block header and the fields before it
        if (!sink().rewrite(streaminfo_offset_ + md5_at, digest))
            throw processing_error("flac_encoder: the output refused to rewrite the FLAC header");
    }
    release();
}

void flac_encoder::on_abort() noexcept {
    // Deleting an unfinished encoder writes nothing more.
    release();
}

void flac_encoder::fail(const char* while_doing) {
    if (sink_error_) std::rethrow_exception(std::exchange(sink_error_, nullptr));
    const char* state = flac_ && flac_->encoder ? FLAC__stream_encoder_get_resolved_state_string(flac_->encoder.get())
                                                : "no encoder";
    throw processing_error(fmt::format("flac_encoder: libFLAC failed while {}: {}", while_doing, state));
}

}  // namespace timeside
