// push_input: appsrc (stream-type stream, our own byte bound) in front of gst_live_decoder; the
// decoder's type finder picks the demuxer (the declared Content-Type is often wrong: ffmpeg says
// audio/mpeg for Ogg unless told otherwise), and a watchdog turns endless garbage into `failed`.
#include "server/live/push_input.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include <fmt/format.h>
#include <gst/app/gstappsrc.h>

#include "core/errors.hpp"
#include "server/log.hpp"

namespace timeside::server::live {

namespace {

std::string media_type(std::string_view content_type) {
    std::string type(content_type.substr(0, content_type.find(';')));
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.pop_back();
    while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.erase(type.begin());
    std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return std::tolower(c); });
    return type;
}

}  // namespace

bool declared_type_matches(std::string_view content_type, std::string_view detected) {
    const std::string type = media_type(content_type);
    const auto has = [&](std::string_view family) { return type.find(family) != std::string::npos; };
    if (detected == "audio/mpeg") return has("mpeg") || has("mp3") || has("aac");  // MPEG-1/2 layer 3, MPEG-4 AAC
    if (detected == "audio/x-aac") return has("aac");
    if (detected == "application/ogg" || detected == "audio/ogg") return has("ogg") || has("opus") || has("vorbis") || has("flac");
    if (detected == "audio/x-flac") return has("flac");
    if (detected == "video/webm" || detected == "audio/webm" || detected == "video/x-matroska" ||
        detected == "audio/x-matroska")
        return has("webm") || has("matroska");
    return false;
}

bool accepted_source_type(std::string_view content_type) {
    const std::string type = media_type(content_type);
    static const std::array<std::string_view, 15> accepted = {
        "audio/mpeg", "audio/mp3", "audio/ogg", "application/ogg", "audio/opus",
        "audio/vorbis", "audio/flac", "audio/x-flac", "audio/aac", "audio/aacp",
        "audio/x-aac", "audio/webm", "video/webm", "audio/x-matroska", "video/x-matroska"};
    return std::find(accepted.begin(), accepted.end(), type) != accepted.end();
}

push_input::push_input(push_input_options options) : options_(std::move(options)) {}

push_input::~push_input() { stop(); }

void push_input::set_on_space(std::function<void()> on_space) {
    std::lock_guard lock(space_mutex_);
    on_space_ = std::move(on_space);
}

void push_input::start(audio_format format) {
    std::lock_guard lock(mutex_);
    if (decoder_ || stopped_) return;
    ensure_gstreamer();
    GstElement* src = gst_element_factory_make("appsrc", nullptr);
    if (!src) throw processing_error(fmt::format("{}: GStreamer element 'appsrc' is missing", options_.label));
    // Our bound, not appsrc's: it never blocks feed(); need-data below half of it means room again.
    g_object_set(src, "stream-type", GST_APP_STREAM_TYPE_STREAM, "format", GST_FORMAT_BYTES, "block", FALSE,
                 "max-bytes", static_cast<guint64>(options_.buffer_bytes), "min-percent", 50u, nullptr);
    g_signal_connect(src, "need-data", G_CALLBACK(on_need_data), this);
    auto decoder = std::make_unique<gst_live_decoder>(options_.label, format, src);
    // A failed decoder takes no more bytes: a feeder waiting for room is woken to find out.
    decoder->set_on_failed([this] {
        full_ = false;
        std::lock_guard lock(space_mutex_);
        if (on_space_) on_space_();
    });
    appsrc_ = src;
    format_ = format;
    last_audio_ = std::chrono::steady_clock::now();
    decoder->play();
    decoder_ = std::move(decoder);
}

void push_input::on_need_data(GstElement*, guint, gpointer self_ptr) {
    auto* self = static_cast<push_input*>(self_ptr);
    if (!self->full_.exchange(false)) return;
    std::lock_guard lock(self->space_mutex_);
    if (self->on_space_) self->on_space_();
}

push_input::feed_result push_input::feed(const unsigned char* bytes, size_t size) {
    std::lock_guard lock(mutex_);
    if (stopped_ || !decoder_ || ended_) return feed_result::closed;
    if (decoder_->failed()) return feed_result::closed;
    // Garbage watchdog: bytes keep coming, no audio comes out.
    const uint64_t frames = decoder_->frames_decoded();
    const auto now = std::chrono::steady_clock::now();
    if (frames != frames_seen_) {
        frames_seen_ = frames;
        bytes_since_audio_ = 0;
        last_audio_ = now;
    }
    bytes_since_audio_ += size;
    const bool too_many = bytes_since_audio_ > options_.undecodable_bytes;
    // feed() is only called when the buffer had room, that is when the decoder consumed bytes:
    // a decoder merely held back by the mount is not seen here.
    const bool too_long = now - last_audio_ > options_.undecodable_for;
    if (too_many || too_long) {
        decoder_->fail(fmt::format("{} bytes without a decodable audio frame{} (declared {})", bytes_since_audio_,
                                   too_long ? fmt::format(" in {} s", std::chrono::duration<double>(now - last_audio_).count()) : "",
                                   options_.content_type.empty() ? "no type" : options_.content_type));
        return feed_result::closed;
    }
    bytes_fed_.fetch_add(size, std::memory_order_relaxed);
    GstBuffer* buf = gst_buffer_new_memdup(bytes, size);
    if (gst_app_src_push_buffer(GST_APP_SRC(appsrc_), buf) != GST_FLOW_OK) return feed_result::closed;
    // Flag first, level second: a need-data between the two finds the flag and calls on_space.
    full_ = true;
    if (gst_app_src_get_current_level_bytes(GST_APP_SRC(appsrc_)) >= options_.buffer_bytes) return feed_result::full;
    if (!full_.exchange(false)) return feed_result::full;  // need-data took it: on_space is coming
    return feed_result::accepted;
}

void push_input::end_of_stream() {
    std::lock_guard lock(mutex_);
    if (ended_ || !decoder_) return;
    ended_ = true;
    gst_app_src_end_of_stream(GST_APP_SRC(appsrc_));
}

live_input::status push_input::read(std::vector<float>& out, int64_t max_frames, std::chrono::milliseconds wait) {
    gst_live_decoder* decoder = nullptr;
    {
        std::lock_guard lock(mutex_);
        if (stopped_) return status::ended;
        decoder = decoder_.get();
    }
    if (!decoder) return status::waiting;
    // decoder_ lives until the destructor: stop() only stops it.
    const status st = decoder->read(out, max_frames, wait);
    if (st == status::data && !type_checked_) {
        // The type finder decides what the bytes are; a wrong declaration (ffmpeg's default
        // audio/mpeg for an Ogg stream) is worth a line in the log, not a refusal.
        type_checked_ = true;
        const std::string detected = decoder->detected_type();
        if (!detected.empty() && !declared_type_matches(options_.content_type, detected))
            log(log_level::warn, "source_type_mismatch",
                {{"source", options_.label}, {"declared", options_.content_type}, {"decoding", detected}});
    }
    return st;
}

bool push_input::failed() const {
    std::lock_guard lock(mutex_);
    return decoder_ && decoder_->failed();
}

std::string push_input::error() const {
    std::lock_guard lock(mutex_);
    return decoder_ ? decoder_->error() : std::string();
}

std::optional<std::string> push_input::take_title() {
    std::lock_guard lock(mutex_);
    return decoder_ ? decoder_->take_title() : std::nullopt;
}

std::string push_input::describe() const {
    std::lock_guard lock(mutex_);
    std::string type = decoder_ ? decoder_->detected_type() : std::string();
    return fmt::format("{} ({}{})", options_.label, options_.content_type.empty() ? "no type" : options_.content_type,
                       type.empty() ? "" : ", decoding " + type);
}

void push_input::stop() noexcept {
    stopped_ = true;
    std::lock_guard lock(mutex_);
    if (decoder_) decoder_->stop();
}

}  // namespace timeside::server::live
