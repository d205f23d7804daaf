// One GStreamer decoding pipeline of a live input (a source client's bytes, a pulled URL):
// <source element> → decodebin → audioconvert → audioresample → capsfilter (the mount's rate and
// channels, F32LE interleaved) → appsink, its audio handed over through a bounded chunk_queue; bus
// errors and tags are read on the reader's thread. push_input and http_input build on it.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <gst/app/gstappsink.h>
#include <gst/gst.h>

#include "core/format.hpp"
#include "core/gst_callback_guard.hpp"
#include "core/gst_handles.hpp"
#include "decoders/chunk_queue.hpp"
#include "server/live/live_input.hpp"

namespace timeside::server::live {

class gst_live_decoder {
public:
    // `source` (a new, floating element: appsrc, souphttpsrc) is added to the pipeline, which
    // owns it. `label` names the input in every error ("source 127.0.0.1:4242 on /live/studio").
    // Throws processing_error when an element is missing.
    gst_live_decoder(std::string label, audio_format format, GstElement* source, int64_t chunk_frames = 1024);
    ~gst_live_decoder();
    gst_live_decoder(const gst_live_decoder&) = delete;
    gst_live_decoder& operator=(const gst_live_decoder&) = delete;

    // Sets the pipeline playing; returns at once (the type is found as bytes arrive).
    void play();
    // live_input::read's contract: `data`, `waiting`, `ended` (end of stream, all audio taken),
    // `failed` (error() says why). The reader's thread only.
    live_input::status read(std::vector<float>& out, int64_t max_frames, std::chrono::milliseconds wait);
    std::string error() const;
    // "Artist - Title" (or the title alone) from the stream's last tags, when it changed.
    std::optional<std::string> take_title();
    // Marks the input failed (a watchdog's verdict); read() says so from now on.
    void fail(const std::string& cause);
    // Called (any thread, once) when the decoder fails, whoever noticed: a feeder waiting for
    // room that will never come learns it there. Set before play().
    void set_on_failed(std::function<void()> f) { on_failed_ = std::move(f); }
    bool failed() const { return failed_; }
    // Any thread: releases the streaming threads and stops the pipeline.
    void stop() noexcept;
    // Frames the pipeline delivered so far (any thread): a watchdog sees whether bytes decode.
    uint64_t frames_decoded() const { return frames_decoded_; }
    // What the type finder saw first ("application/ogg", "audio/mpeg"), once known.
    std::string detected_type() const;

private:
    using guard = gst_callback_guard<gst_live_decoder>;
    static void on_pad_added(GstElement* bin, GstPad* pad, gpointer self);
    static void on_no_more_pads(GstElement* bin, gpointer self);
    static gboolean on_autoplug_continue(GstElement* bin, GstPad* pad, GstCaps* caps, gpointer self);
    static GstFlowReturn on_new_sample(GstAppSink* sink, gpointer self);
    static void on_eos(GstAppSink* sink, gpointer self);
    void poll_bus();

    std::string label_;
    audio_format format_;
    gst_pipeline_ptr pipeline_;
    GstElement* convert_ = nullptr;  // owned by the pipeline
    gst_ptr<GstBus> bus_;
    std::unique_ptr<chunk_queue> chunks_;
    std::vector<float> leftover_;  // the part of a popped chunk that did not fit in read()'s max
    size_t leftover_at_ = 0;
    std::atomic<bool> audio_linked_{false};
    std::atomic<bool> failed_{false};
    std::atomic<bool> stopped_{false};
    std::atomic<uint64_t> frames_decoded_{0};
    std::mutex state_mutex_;    // play() against stop(); never held while a streaming thread needs mutex_
    mutable std::mutex mutex_;  // error_, type_, title_ (streaming threads take it too)
    std::string error_;
    std::function<void()> on_failed_;
    std::string type_;
    std::string title_;        // the last title seen
    std::string taken_title_;  // the last title take_title() returned
    guard guard_{this};  // last: detaches first (the callbacks' user data)
};

}  // namespace timeside::server::live
