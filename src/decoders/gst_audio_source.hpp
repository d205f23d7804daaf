// A GStreamer decoding pipeline that delivers interleaved float32: uridecodebin → audioconvert →
// audioresample → capsfilter → appsink. Used by file_decoder (and the live-input decoder): it
// prerolls, reports what the source is, seeks accurately and hands over decoded buffers.
#pragma once

#include <atomic>
#include <memory>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <gst/app/gstappsink.h>

#include "core/format.hpp"
#include "core/gst_callback_guard.hpp"
#include "core/gst_handles.hpp"
#include "decoders/chunk_queue.hpp"
#include "decoders/mp3_gapless.hpp"

namespace timeside {

struct gst_source_options {
    std::string uri;      // a URI GStreamer understands (file://, http://, https://)
    std::string label;    // how errors name the input (the path or URL the user gave)
    int samplerate = 0;   // 0: the source's
    int channels = 0;     // 0: the source's
    std::chrono::milliseconds timeout{10000};  // for prerolling and for each buffer
    int64_t chunk_frames = 8192;  // pull() hands over exactly this many frames (but at the end or a gap)
};

class gst_audio_source {
public:
    explicit gst_audio_source(gst_source_options options);
    ~gst_audio_source();
    gst_audio_source(const gst_audio_source&) = delete;
    gst_audio_source& operator=(const gst_audio_source&) = delete;

    // Builds and prerolls the pipeline; fills media(). Throws processing_error "<label>: <cause>".
    void open();
    media_info& media() { return media_; }
    audio_format output_format() const { return output_; }
    // Source duration in output frames, -1 if unknown.
    int64_t duration_frames() const;
    // Output frames the decoder delivers before the source's first frame (an MP3's encoder and
    // decoder delay, from its LAME tag): pull()'s timestamps count them, the source's time does not.
    int64_t lead_frames() const;

    // Accurate seek to [start, start + duration) seconds (duration <= 0: to the end). False if
    // the source cannot seek; the caller then drops frames itself.
    bool seek(double start, double duration);
    void play();

    // The next decoded chunk: samples appended to `out` (or swapped in when `out` is empty), the
    // timestamp of its first frame in ns (-1 if none). False at the end of the stream. Throws
    // processing_error on a pipeline error, cancelled_error after cancel().
    bool pull(std::vector<float>& out, int64_t& pts_ns);
    void cancel() noexcept;
    // Counts the source's duration updates; duration_frames() is current after poll_messages().
    unsigned duration_version() const { return duration_version_; }
    void poll_messages() { check_bus(); }

private:
    using guard = gst_callback_guard<gst_audio_source>;
    static void on_pad_added(GstElement* src, GstPad* pad, gpointer self);
    static void on_no_more_pads(GstElement* src, gpointer self);
    static gboolean on_autoplug_query(GstElement* bin, GstPad* pad, GstElement* element, GstQuery* query,
                                      gpointer self);
    static GstFlowReturn on_new_sample(GstAppSink* sink, gpointer self);
    static void on_eos(GstAppSink* sink, gpointer self);
    static gboolean on_autoplug_continue(GstElement* bin, GstPad* pad, GstCaps* caps, gpointer self);
    static void on_source_setup(GstElement* bin, GstElement* source, gpointer self);
    void check_bus();
    [[noreturn]] void fail_from(GstMessage* msg);
    void wait_async_done(const char* what);
    void read_source_details();
    void take_tags(GstMessage* msg);
    void update_duration();
    void read_gapless();

    gst_source_options options_;
    gst_pipeline_ptr pipeline_;
    GstElement* convert_ = nullptr;  // owned by the pipeline
    GstElement* sink_ = nullptr;     // owned by the pipeline
    gst_ptr<GstBus> bus_;
    media_info media_;
    audio_format output_;
    std::atomic<bool> audio_linked_{false};
    std::atomic<bool> cancelled_{false};
    bool eos_ = false;
    unsigned duration_version_ = 0;
    std::optional<mp3_gapless> gapless_;  // a local MP3's LAME tag, when it has one
    std::unique_ptr<chunk_queue> chunks_;  // created before PLAYING, fed by on_new_sample
    std::mutex mutex_;  // guards what streaming-thread callbacks record
    std::vector<std::string> chain_types_;
    guard guard_{this};  // last: detaches first (the callbacks' user data)
};

}  // namespace timeside
