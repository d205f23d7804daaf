// The audio a source client pushes to /live/{id} (Icecast's PUT/SOURCE), as a live_input: the
// network thread feeds the body's bytes without ever blocking (a bounded buffer; when it is full
// the ingest stops reading the socket until on_space, so TCP holds the source back), GStreamer
// finds the codec and decodes towards the mount's format (gst_live_decoder).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "server/live/gst_live_decoder.hpp"
#include "server/live/live_input.hpp"

namespace timeside::server::live {

struct push_input_options {
    std::string label;         // how errors name the source: "source 127.0.0.1:40522 on /live/studio"
    std::string content_type;  // as the source declared it (accepted_source_type), for describe()
    // The input buffer: bytes waiting for the decoder. feed() says `full` beyond it.
    size_t buffer_bytes = 256 * 1024;
    // Bytes fed in a row without a single decoded frame before the input is declared failed:
    // endless garbage costs nothing and the mount falls back. Above any real stream's headers.
    size_t undecodable_bytes = 2 * 1024 * 1024;
    // The same in time: bytes keep coming and no audio comes out for that long (a slow source of
    // garbage would take minutes to send undecodable_bytes). The ingest sets source_timeout.
    std::chrono::milliseconds undecodable_for{10000};
};

// Whether a source's Content-Type is one we decode (parameters such as "; codecs=opus" ignored):
// audio/mpeg, audio/mp3, audio/ogg, application/ogg, audio/opus, audio/vorbis, audio/flac,
// audio/x-flac, audio/aac, audio/aacp, audio/x-aac, audio/webm, video/webm, audio/x-matroska,
// video/x-matroska (libshout declares WebM as video/webm).
bool accepted_source_type(std::string_view content_type);

// Whether what the type finder saw ("application/ogg", "audio/mpeg", "audio/x-flac", "video/webm")
// is what `content_type` declared. A mismatch is logged, not refused: the bytes decide.
bool declared_type_matches(std::string_view content_type, std::string_view detected);

class push_input : public live_input {
public:
    explicit push_input(push_input_options options);
    ~push_input() override;

    enum class feed_result {
        accepted,  // keep reading
        full,      // the bytes were taken, but stop reading until on_space fires
        closed,    // the input failed or was stopped: stop reading and close the connection
    };
    // Network thread; never blocks. Copies `bytes`. Before start(), only `closed` if stopped.
    feed_result feed(const unsigned char* bytes, size_t size);
    // Called once, from a GStreamer thread, each time a buffer that feed() reported `full` has
    // room again (below half), and when the input fails (feed() then says `closed`). Set it before the first feed(); clear it (nullptr) when its target
    // goes away: the input may outlive the connection that fed it (a mount holds it).
    void set_on_space(std::function<void()> on_space);
    // The source's body ended: what is buffered is still decoded, then read() says `ended`.
    void end_of_stream();
    uint64_t bytes_fed() const { return bytes_fed_.load(std::memory_order_relaxed); }  // any thread
    // The bytes do not decode (or the decoder broke): feed() says `closed` from now on.
    bool failed() const;

    // live_input. start() may be called more than once with the same format (the ingest starts
    // it before attaching it to its mount; a mount may start it again): later calls do nothing.
    void start(audio_format format) override;
    status read(std::vector<float>& out, int64_t max_frames, std::chrono::milliseconds wait) override;
    std::string error() const override;
    std::optional<std::string> take_title() override;
    std::string describe() const override;
    void stop() noexcept override;

private:
    static void on_need_data(GstElement* appsrc, guint length, gpointer self);

    push_input_options options_;
    mutable std::mutex mutex_;  // decoder_ creation and teardown against feed()
    std::unique_ptr<gst_live_decoder> decoder_;
    GstElement* appsrc_ = nullptr;  // owned by decoder_'s pipeline
    audio_format format_;
    std::mutex space_mutex_;  // on_space_ against its replacement
    std::function<void()> on_space_;
    std::atomic<bool> full_{false};
    std::atomic<bool> stopped_{false};
    bool ended_ = false;
    bool type_checked_ = false;  // the reader's thread only
    std::atomic<uint64_t> bytes_fed_{0};  // written under mutex_, read anywhere (the admin's source)
    uint64_t frames_seen_ = 0;        // frames_decoded() at the last feed
    size_t bytes_since_audio_ = 0;    // fed since the decoder last delivered a frame
    std::chrono::steady_clock::time_point last_audio_{};  // when feed() last saw new frames (or start())
};

}  // namespace timeside::server::live
