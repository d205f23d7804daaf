// A pulled live input: an http(s) or Icecast URL decoded through GStreamer (souphttpsrc in
// iradio mode, so an Icecast/SHOUTcast server's ICY titles arrive as tags and become titles).
// When the stream fails or ends it reconnects with back-off (first_backoff doubling up to
// max_backoff), reading `waiting` meanwhile, so the mount plays its fallback; read() never
// blocks past its `wait`.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "server/live/gst_live_decoder.hpp"
#include "server/live/live_input.hpp"

namespace timeside::server::live {

struct http_input_options {
    std::string uri;  // http://, https:// (an Icecast mount's listener URL)
    std::chrono::milliseconds first_backoff{500};
    std::chrono::milliseconds max_backoff{10000};
    std::chrono::seconds network_timeout{10};  // souphttpsrc's: a server silent that long fails the attempt
};

class http_input : public live_input {
public:
    // Throws usage_error when `uri` is not http(s).
    explicit http_input(http_input_options options);
    ~http_input() override;

    void start(audio_format format) override;
    // `data`, or `waiting` while it connects, while the upstream is late and between attempts
    // after a failure or an end (error() then says what happened last). `ended` only after stop().
    status read(std::vector<float>& out, int64_t max_frames, std::chrono::milliseconds wait) override;
    // The last attempt's failure ("http://host/x: Could not connect (Connection refused)"), or
    // "…: the stream ended"; empty while none failed.
    std::string error() const override;
    std::optional<std::string> take_title() override;
    std::string describe() const override;
    void stop() noexcept override;

    // Attempts made so far (the first connection included), for status and tests.
    unsigned attempts() const;

private:
    std::shared_ptr<gst_live_decoder> connect();

    http_input_options options_;
    audio_format format_;
    mutable std::mutex mutex_;  // decoder_, error_, title_, attempts_ against stop() and status readers
    std::shared_ptr<gst_live_decoder> decoder_;
    bool started_ = false;
    bool stopped_ = false;
    std::string error_;
    std::optional<std::string> title_;
    unsigned attempts_ = 0;
    std::chrono::milliseconds backoff_;
    std::chrono::steady_clock::time_point next_attempt_{};
};

}  // namespace timeside::server::live
