// The live decoding pipeline: built once, linked when decodebin finds the audio, drained by the
// mount's clock thread. Errors become one line naming the input and the cause; nothing throws
// out of the streaming threads.
#include "server/live/gst_live_decoder.hpp"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "core/errors.hpp"
#include "core/gst_error.hpp"
#include "core/utf8.hpp"

namespace timeside::server::live {

namespace {

GstElement* make_element(const char* factory, const std::string& label) {
    GstElement* e = gst_element_factory_make(factory, nullptr);
    if (!e)
        throw processing_error(fmt::format("{}: GStreamer element '{}' is missing (install gstreamer1.0-plugins-base)",
                                           label, factory));
    return e;
}

// GStreamer's message, plus the network layer's reason, which only its debug text's last line
// holds ("Connection refused", "Not Found (404)").
std::string cause_of(GstMessage* msg) {
    const auto e = parse_gst_error(msg);
    std::string cause = e.message;
    if (e.stream_error_any_of({GST_STREAM_ERROR_TYPE_NOT_FOUND, GST_STREAM_ERROR_WRONG_TYPE, GST_STREAM_ERROR_DEMUX,
                               GST_STREAM_ERROR_DECODE}))
        cause = fmt::format("bytes that do not decode as audio ({})", cause);
    if (e.domain == GST_RESOURCE_ERROR && !e.debug_tail.empty() && cause.find(e.debug_tail) == std::string::npos)
        cause += fmt::format(" ({})", e.debug_tail);
    return to_valid_utf8(cause);
}

}  // namespace

gst_live_decoder::gst_live_decoder(std::string label, audio_format format, GstElement* source, int64_t chunk_frames)
    : label_(std::move(label)), format_(format) {
    ensure_gstreamer();
    pipeline_.reset(gst_pipeline_new(nullptr));
    gst_bin_add(GST_BIN(pipeline_.get()), source);
    GstElement* dec = make_element("decodebin", label_);
    convert_ = make_element("audioconvert", label_);
    GstElement* resample = make_element("audioresample", label_);
    GstElement* filter = make_element("capsfilter", label_);
    GstElement* sink = make_element("appsink", label_);
    gst_bin_add_many(GST_BIN(pipeline_.get()), dec, convert_, resample, filter, sink, nullptr);
    gst_caps_ptr caps(gst_caps_from_string(
        fmt::format("audio/x-raw,format=F32LE,layout=interleaved,rate={},channels={}", format_.samplerate, format_.channels)
            .c_str()));
    g_object_set(filter, "caps", caps.get(), nullptr);
    g_object_set(sink, "sync", FALSE, "max-buffers", 2u, "drop", FALSE, "emit-signals", FALSE, "enable-last-sample",
                 FALSE, nullptr);
    if (!gst_element_link(source, dec) || !gst_element_link_many(convert_, resample, filter, sink, nullptr))
        throw processing_error(fmt::format("{}: cannot build the decoding pipeline", label_));
    // The decoded audio waits here for the mount's clock: a few chunks, then the streaming thread
    // waits, the demuxer's queue fills, and the source is held back.
    chunks_ = std::make_unique<chunk_queue>(format_.channels, format_.samplerate, chunk_frames, 8);
    GstAppSinkCallbacks callbacks{};
    callbacks.eos = on_eos;
    callbacks.new_sample = on_new_sample;
    gst_app_sink_set_callbacks(GST_APP_SINK(sink), &callbacks, guard_.user_data(), guard::release);
    guard_.connect(dec, "pad-added", G_CALLBACK(on_pad_added));
    guard_.connect(dec, "no-more-pads", G_CALLBACK(on_no_more_pads));
    guard_.connect(dec, "autoplug-continue", G_CALLBACK(on_autoplug_continue));
    bus_.reset(gst_element_get_bus(pipeline_.get()));
}

gst_live_decoder::~gst_live_decoder() { stop(); }

void gst_live_decoder::play() {
    std::lock_guard lock(state_mutex_);
    if (stopped_) return;
    if (gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        poll_bus();
        if (!failed_) fail("the decoding pipeline does not start");
    }
}

void gst_live_decoder::stop() noexcept {
    if (stopped_.exchange(true)) return;
    chunks_->stop();  // a streaming thread waiting for room returns FLUSHING
    std::lock_guard lock(state_mutex_);
    gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
}

GstFlowReturn gst_live_decoder::on_new_sample(GstAppSink* sink, gpointer self_ptr) {
    guard::scope scope(self_ptr);
    auto* self = scope.owner();
    if (!self) return GST_FLOW_FLUSHING;
    gst_sample_ptr sample(gst_app_sink_pull_sample(sink));
    GstBuffer* buf = sample ? gst_sample_get_buffer(sample.get()) : nullptr;
    if (!buf) return GST_FLOW_OK;
    gst_buffer_view view(buf);
    if (!view.ok()) return GST_FLOW_ERROR;
    const auto frames = static_cast<int64_t>(view.size() / sizeof(float)) / self->format_.channels;
    self->frames_decoded_ += static_cast<uint64_t>(frames);
    return self->chunks_->push(reinterpret_cast<const float*>(view.data()), frames, -1) ? GST_FLOW_OK
                                                                                       : GST_FLOW_FLUSHING;
}

void gst_live_decoder::on_eos(GstAppSink*, gpointer self_ptr) {
    guard::scope scope(self_ptr);
    if (auto* self = scope.owner()) self->chunks_->finish();
}

void gst_live_decoder::on_pad_added(GstElement*, GstPad* pad, gpointer self_ptr) {
    guard::scope scope(self_ptr);
    auto* self = scope.owner();
    if (!self) return;
    gst_caps_ptr caps(gst_pad_get_current_caps(pad));
    if (!caps) caps.reset(gst_pad_query_caps(pad, nullptr));
    if (!caps || gst_caps_get_size(caps.get()) == 0 || self->audio_linked_) return;
    if (!g_str_has_prefix(gst_structure_get_name(gst_caps_get_structure(caps.get(), 0)), "audio/")) return;
    gst_ptr<GstPad> sinkpad(gst_element_get_static_pad(self->convert_, "sink"));
    if (gst_pad_link(pad, sinkpad.get()) == GST_PAD_LINK_OK) self->audio_linked_ = true;
}

void gst_live_decoder::on_no_more_pads(GstElement*, gpointer self_ptr) {
    guard::scope scope(self_ptr);
    auto* self = scope.owner();
    if (!self) return;
    if (self->audio_linked_) return;
    self->fail("it holds no audio stream");
}

gboolean gst_live_decoder::on_autoplug_continue(GstElement*, GstPad*, GstCaps* caps, gpointer self_ptr) {
    guard::scope scope(self_ptr);
    auto* self = scope.owner();
    if (!self) return TRUE;
    if (caps && gst_caps_get_size(caps) > 0) {
        std::string name = gst_structure_get_name(gst_caps_get_structure(caps, 0));
        std::lock_guard lock(self->mutex_);
        // A tag wrapper (ID3, APE, ICY) is not what the stream is.
        if (self->type_.empty() && name != "application/x-id3" && name != "application/x-apetag" &&
            name != "application/x-icy")
            self->type_ = name;
    }
    return TRUE;
}

void gst_live_decoder::fail(const std::string& cause) {
    {
        std::lock_guard lock(mutex_);
        if (failed_) return;
        error_ = fmt::format("{}: {}", label_, cause);
        failed_ = true;
    }
    chunks_->stop();
    if (on_failed_) on_failed_();
}

std::string gst_live_decoder::error() const {
    std::lock_guard lock(mutex_);
    return error_;
}

std::string gst_live_decoder::detected_type() const {
    std::lock_guard lock(mutex_);
    return type_;
}

void gst_live_decoder::poll_bus() {
    const auto types = static_cast<GstMessageType>(GST_MESSAGE_ERROR | GST_MESSAGE_TAG);
    while (gst_message_ptr msg{gst_bus_pop_filtered(bus_.get(), types)}) {
        if (GST_MESSAGE_TYPE(msg.get()) == GST_MESSAGE_ERROR) {
            fail(cause_of(msg.get()));
            continue;
        }
        GstTagList* raw = nullptr;
        gst_message_parse_tag(msg.get(), &raw);
        gst_tags_ptr tags(raw);
        gchar* title = nullptr;
        if (!gst_tag_list_get_string(tags.get(), GST_TAG_TITLE, &title)) continue;
        g_string_ptr title_owner(title);
        gchar* artist = nullptr;
        std::string text = title;
        if (gst_tag_list_get_string(tags.get(), GST_TAG_ARTIST, &artist)) {
            g_string_ptr artist_owner(artist);
            if (*artist) text = fmt::format("{} - {}", artist, title);
        }
        std::lock_guard lock(mutex_);
        title_ = to_valid_utf8(text);
    }
}

std::optional<std::string> gst_live_decoder::take_title() {
    std::lock_guard lock(mutex_);
    if (title_.empty() || title_ == taken_title_) return std::nullopt;
    taken_title_ = title_;
    return title_;
}

live_input::status gst_live_decoder::read(std::vector<float>& out, int64_t max_frames, std::chrono::milliseconds wait) {
    using status = live_input::status;
    poll_bus();
    if (failed_) return status::failed;
    const auto channels = static_cast<size_t>(format_.channels);
    const size_t max_samples = static_cast<size_t>(std::max<int64_t>(0, max_frames)) * channels;
    if (leftover_at_ >= leftover_.size()) {
        leftover_.clear();
        leftover_at_ = 0;
        int64_t pts = -1;
        switch (chunks_->pop(leftover_, pts, wait)) {
            case chunk_queue::status::chunk: break;
            case chunk_queue::status::waiting:
                poll_bus();
                return failed_ ? status::failed : status::waiting;
            case chunk_queue::status::end:
                poll_bus();
                if (failed_) return status::failed;
                if (frames_decoded_ == 0) {
                    fail("no audio could be decoded from it");
                    return status::failed;
                }
                return status::ended;
        }
    }
    const size_t take = std::min(max_samples, leftover_.size() - leftover_at_);
    out.insert(out.end(), leftover_.begin() + static_cast<ptrdiff_t>(leftover_at_),
               leftover_.begin() + static_cast<ptrdiff_t>(leftover_at_ + take));
    leftover_at_ += take;
    return status::data;
}

}  // namespace timeside::server::live
