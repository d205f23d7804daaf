// http_input: one gst_live_decoder per connection attempt, replaced on the reader's thread when it
// fails or ends; the back-off doubles after each attempt that delivered no audio.
#include "server/live/http_input.hpp"

#include <algorithm>
#include <thread>

#include <fmt/format.h>

#include "core/errors.hpp"
#include "server/log.hpp"

namespace timeside::server::live {

http_input::http_input(http_input_options options) : options_(std::move(options)), backoff_(options_.first_backoff) {
    if (options_.uri.rfind("http://", 0) != 0 && options_.uri.rfind("https://", 0) != 0)
        throw usage_error(fmt::format("input uri '{}': expected an http:// or https:// URL", options_.uri));
}

http_input::~http_input() { stop(); }

std::shared_ptr<gst_live_decoder> http_input::connect() {
    ensure_gstreamer();
    GstElement* src = gst_element_factory_make("souphttpsrc", nullptr);
    if (!src)
        throw processing_error(fmt::format("{}: GStreamer element 'souphttpsrc' is missing (install "
                                           "gstreamer1.0-plugins-good)",
                                           options_.uri));
    g_object_set(src, "location", options_.uri.c_str(), "iradio-mode", TRUE, "is-live", FALSE, "timeout",
                 static_cast<guint>(options_.network_timeout.count()), "retries", 0, "user-agent",
                 "TimeSide/" TIMESIDE_VERSION, nullptr);
    auto decoder = std::make_shared<gst_live_decoder>(options_.uri, format_, src);
    decoder->play();
    return decoder;
}

void http_input::start(audio_format format) {
    std::lock_guard lock(mutex_);
    if (started_ || stopped_) return;
    started_ = true;
    format_ = format;
    ++attempts_;
    decoder_ = connect();
}

live_input::status http_input::read(std::vector<float>& out, int64_t max_frames, std::chrono::milliseconds wait) {
    std::shared_ptr<gst_live_decoder> decoder;
    {
        std::lock_guard lock(mutex_);
        if (stopped_) return status::ended;
        if (!started_) return status::waiting;
        decoder = decoder_;
    }
    const auto now = std::chrono::steady_clock::now();
    if (!decoder) {
        // Between attempts: wait (within `wait`) for the next one.
        if (now < next_attempt_) {
            std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(wait, next_attempt_ - now));
            return status::waiting;
        }
        auto fresh = connect();
        std::lock_guard lock(mutex_);
        if (stopped_) {
            fresh->stop();
            return status::ended;
        }
        ++attempts_;
        decoder_ = fresh;
        return status::waiting;
    }
    const status st = decoder->read(out, max_frames, wait);
    if (auto t = decoder->take_title()) {
        std::lock_guard lock(mutex_);
        title_ = std::move(t);
    }
    if (st == status::data) {
        backoff_ = options_.first_backoff;  // it works again: the next failure retries soon
        return st;
    }
    if (st == status::waiting) return st;
    // Failed or ended: retire this attempt, retry after the back-off.
    std::string cause = st == status::failed ? decoder->error() : fmt::format("{}: the stream ended", options_.uri);
    decoder->stop();
    log(log_level::warn, "input_reconnect",
        {{"input", options_.uri}, {"error", cause}, {"retry_in_ms", std::to_string(backoff_.count())}});
    std::lock_guard lock(mutex_);
    error_ = std::move(cause);
    decoder_.reset();
    next_attempt_ = std::chrono::steady_clock::now() + backoff_;
    backoff_ = std::min(backoff_ * 2, options_.max_backoff);
    return status::waiting;
}

std::string http_input::error() const {
    std::lock_guard lock(mutex_);
    return error_;
}

std::optional<std::string> http_input::take_title() {
    std::lock_guard lock(mutex_);
    return std::exchange(title_, std::nullopt);
}

std::string http_input::describe() const { return fmt::format("http {}", options_.uri); }

unsigned http_input::attempts() const {
    std::lock_guard lock(mutex_);
    return attempts_;
}

void http_input::stop() noexcept {
    std::shared_ptr<gst_live_decoder> decoder;
    {
        std::lock_guard lock(mutex_);
        stopped_ = true;
        decoder = decoder_;
    }
    if (decoder) decoder->stop();
}

}  // namespace timeside::server::live
