// The GStreamer side of decoding: pipeline construction, preroll, bus errors turned into
// processing_error messages that name the input, accurate seeks and buffer hand-over.
#include "decoders/gst_audio_source.hpp"

#include <cstring>

#include <fmt/format.h>
#include <gst/app/gstappsink.h>

#include "core/errors.hpp"

namespace timeside {

namespace {

constexpr auto poll_interval = 100 * GST_MSECOND;

GstElement* make_element(const char* factory, const std::string& label) {
    GstElement* e = gst_element_factory_make(factory, nullptr);
    if (!e)
        throw processing_error(fmt::format(
            "{}: GStreamer element '{}' is missing (install gstreamer1.0-plugins-base)", label, factory));
    return e;
}

bool caps_is_audio(GstCaps* caps) {
    if (!caps || gst_caps_get_size(caps) == 0) return false;
    const char* name = gst_structure_get_name(gst_caps_get_structure(caps, 0));
    return g_str_has_prefix(name, "audio/");
}

// The type finder inside uridecodebin knows what the source is (audio/x-wav, audio/x-flac...).
std::string find_mime(GstElement* pipeline) {
    std::string mime;
    GstIterator* it = gst_bin_iterate_recurse(GST_BIN(pipeline));
    GValue item = G_VALUE_INIT;
    bool done = false;
    while (!done) {
        switch (gst_iterator_next(it, &item)) {
            case GST_ITERATOR_OK: {
                auto* e = GST_ELEMENT(g_value_get_object(&item));
                GstElementFactory* f = gst_element_get_factory(e);
                if (f && std::strcmp(GST_OBJECT_NAME(f), "typefind") == 0) {
                    GstCaps* caps = nullptr;
                    g_object_get(e, "caps", &caps, nullptr);
                    gst_caps_ptr owned(caps);
                    if (caps && gst_caps_get_size(caps) > 0 && mime.empty())
                        mime = gst_structure_get_name(gst_caps_get_structure(caps, 0));
                }
                g_value_reset(&item);
                break;
            }
            case GST_ITERATOR_RESYNC: gst_iterator_resync(it); break;
            default: done = true; break;
        }
    }
    g_value_unset(&item);
    gst_iterator_free(it);
    return mime;
}

audio_format format_of(GstPad* pad) {
    audio_format f;
    gst_caps_ptr caps(gst_pad_get_current_caps(pad));
    if (caps && gst_caps_get_size(caps.get()) > 0) {
        const GstStructure* s = gst_caps_get_structure(caps.get(), 0);
        gst_structure_get_int(s, "rate", &f.samplerate);
        gst_structure_get_int(s, "channels", &f.channels);
    }
    return f;
}

}  // namespace

gst_audio_source::gst_audio_source(gst_source_options options) : options_(std::move(options)) {
    if (options_.label.empty()) options_.label = options_.uri;
}

gst_audio_source::~gst_audio_source() = default;

void gst_audio_source::on_pad_added(GstElement*, GstPad* pad, gpointer self_ptr) {
    auto* self = static_cast<gst_audio_source*>(self_ptr);
    gst_caps_ptr caps(gst_pad_get_current_caps(pad));
    if (!caps) caps.reset(gst_pad_query_caps(pad, nullptr));
    if (!caps_is_audio(caps.get()) || self->audio_linked_) return;
    gst_ptr<GstPad> sinkpad(gst_element_get_static_pad(self->convert_, "sink"));
    if (gst_pad_link(pad, sinkpad.get()) == GST_PAD_LINK_OK) self->audio_linked_ = true;
}

void gst_audio_source::on_no_more_pads(GstElement*, gpointer self_ptr) {
    auto* self = static_cast<gst_audio_source*>(self_ptr);
    if (self->audio_linked_) return;
    GError* err = g_error_new_literal(GST_STREAM_ERROR, GST_STREAM_ERROR_WRONG_TYPE,
                                      "it holds no audio stream");
    gst_element_post_message(self->pipeline_.get(),
                             gst_message_new_error(GST_OBJECT(self->pipeline_.get()), err, nullptr));
    g_error_free(err);
}

// Network sources: a bounded timeout, one retry at most, and our name in the User-Agent.
void gst_audio_source::on_source_setup(GstElement*, GstElement* source, gpointer self_ptr) {
    auto* self = static_cast<gst_audio_source*>(self_ptr);
    GObjectClass* klass = G_OBJECT_GET_CLASS(source);
    auto secs = static_cast<guint>(std::max<int64_t>(1, self->options_.timeout.count() / 1000));
    if (g_object_class_find_property(klass, "timeout")) g_object_set(source, "timeout", secs, nullptr);
    if (g_object_class_find_property(klass, "retries")) g_object_set(source, "retries", 1, nullptr);
    if (g_object_class_find_property(klass, "user-agent"))
        g_object_set(source, "user-agent", "TimeSide/" TIMESIDE_VERSION, nullptr);
}

void gst_audio_source::open() {
    ensure_gstreamer();
    const auto& label = options_.label;
    pipeline_.reset(gst_pipeline_new(nullptr));
    GstElement* dec = make_element("uridecodebin", label);
    convert_ = make_element("audioconvert", label);
    GstElement* resample = make_element("audioresample", label);
    GstElement* filter = make_element("capsfilter", label);
    sink_ = make_element("appsink", label);
    gst_bin_add_many(GST_BIN(pipeline_.get()), dec, convert_, resample, filter, sink_, nullptr);

    g_object_set(dec, "uri", options_.uri.c_str(), nullptr);
    std::string caps_text = "audio/x-raw,format=F32LE,layout=interleaved";
    if (options_.samplerate > 0) caps_text += fmt::format(",rate={}", options_.samplerate);
    if (options_.channels > 0) caps_text += fmt::format(",channels={}", options_.channels);
    gst_caps_ptr caps(gst_caps_from_string(caps_text.c_str()));
    g_object_set(filter, "caps", caps.get(), nullptr);
    // A few buffers of slack: enough to keep the decoder busy, bounded so memory stays flat.
    g_object_set(sink_, "sync", FALSE, "max-buffers", 8u, "drop", FALSE, "emit-signals", FALSE,
                 "enable-last-sample", FALSE, nullptr);
    if (!gst_element_link_many(convert_, resample, filter, sink_, nullptr))
        throw processing_error(fmt::format("{}: cannot build the decoding pipeline", label));

    g_signal_connect(dec, "pad-added", G_CALLBACK(on_pad_added), this);
    g_signal_connect(dec, "no-more-pads", G_CALLBACK(on_no_more_pads), this);
    g_signal_connect(dec, "source-setup", G_CALLBACK(on_source_setup), this);
    bus_.reset(gst_element_get_bus(pipeline_.get()));

    gst_element_set_state(pipeline_.get(), GST_STATE_PAUSED);
    wait_async_done("opening");
    read_source_details();
}

void gst_audio_source::take_tags(GstMessage* msg) {
    GstTagList* raw = nullptr;
    gst_message_parse_tag(msg, &raw);
    gst_tags_ptr tags(raw);
    static const std::pair<const char*, const char*> wanted[] = {
        {GST_TAG_TITLE, "title"}, {GST_TAG_ARTIST, "artist"}, {GST_TAG_ALBUM, "album"},
        {GST_TAG_GENRE, "genre"}, {GST_TAG_DATE_TIME, "date"}, {GST_TAG_TRACK_NUMBER, "track"}};
    for (const auto& [tag, key] : wanted) {
        gchar* text = nullptr;
        if (gst_tag_get_type(tag) == G_TYPE_STRING) {
            if (gst_tag_list_get_string(tags.get(), tag, &text)) {
                media_.tags.emplace(key, text);
                g_free(text);
            }
        } else if (std::strcmp(key, "track") == 0) {
            guint n = 0;
            if (gst_tag_list_get_uint(tags.get(), tag, &n)) media_.tags.emplace(key, std::to_string(n));
        }
    }
}

void gst_audio_source::fail_from(GstMessage* msg) {
    GError* raw = nullptr;
    gchar* debug = nullptr;
    gst_message_parse_error(msg, &raw, &debug);
    g_error_ptr err(raw);
    g_string_ptr dbg(debug);
    std::string cause = err ? err->message : "unknown GStreamer error";
    if (!cause.empty() && cause.back() == '.') cause.pop_back();
    // The network layer's reason ("Connection refused") is only in the debug text.
    if (dbg && err && err->domain == GST_RESOURCE_ERROR) {
        std::string d = dbg.get();
        for (const char* reason : {"Connection refused", "Name or service not known", "Not Found",
                                   "Forbidden", "timed out", "Could not resolve"}) {
            if (d.find(reason) != std::string::npos && cause.find(reason) == std::string::npos) {
                cause += fmt::format(" ({})", reason);
                break;
            }
        }
    }
    if (err && err->domain == GST_STREAM_ERROR && err->code == GST_STREAM_ERROR_TYPE_NOT_FOUND)
        cause = "not a media file GStreamer can decode (could not determine its type)";
    throw processing_error(fmt::format("{}: {}", options_.label, cause));
}

void gst_audio_source::check_bus() {
    while (gst_message_ptr msg{gst_bus_pop_filtered(bus_.get(),
                                                    static_cast<GstMessageType>(GST_MESSAGE_ERROR | GST_MESSAGE_TAG))}) {
        if (GST_MESSAGE_TYPE(msg.get()) == GST_MESSAGE_ERROR) fail_from(msg.get());
        take_tags(msg.get());
    }
}

void gst_audio_source::wait_async_done(const char* what) {
    const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
    const auto types = static_cast<GstMessageType>(GST_MESSAGE_ERROR | GST_MESSAGE_ASYNC_DONE |
                                                   GST_MESSAGE_TAG | GST_MESSAGE_EOS);
    for (;;) {
        if (cancelled_) throw cancelled_error();
        if (std::chrono::steady_clock::now() > deadline)
            throw processing_error(fmt::format("{}: timed out after {} s while {}", options_.label,
                                               options_.timeout.count() / 1000.0, what));
        gst_message_ptr msg(gst_bus_timed_pop_filtered(bus_.get(), poll_interval, types));
        if (!msg) continue;
        switch (GST_MESSAGE_TYPE(msg.get())) {
            case GST_MESSAGE_ERROR: fail_from(msg.get());
            case GST_MESSAGE_TAG: take_tags(msg.get()); break;
            case GST_MESSAGE_EOS: eos_ = true; break;
            case GST_MESSAGE_ASYNC_DONE:
                if (GST_MESSAGE_SRC(msg.get()) == GST_OBJECT(pipeline_.get())) return;
                break;
            default: break;
        }
    }
}

void gst_audio_source::read_source_details() {
    media_.uri = options_.label;
    media_.mime = find_mime(pipeline_.get());
    gst_ptr<GstPad> in_pad(gst_element_get_static_pad(convert_, "sink"));
    gst_ptr<GstPad> out_pad(gst_element_get_static_pad(sink_, "sink"));
    audio_format native = format_of(in_pad.get());
    output_ = format_of(out_pad.get());
    if (output_.samplerate <= 0 || output_.channels <= 0)
        throw processing_error(fmt::format("{}: no audio data could be decoded from it", options_.label));
    media_.samplerate = native.samplerate;
    media_.channels = native.channels;
    gint64 duration = -1;
    if (gst_element_query_duration(pipeline_.get(), GST_FORMAT_TIME, &duration) && duration >= 0)
        media_.duration = static_cast<double>(duration) / GST_SECOND;
}

int64_t gst_audio_source::duration_frames() const {
    if (media_.duration < 0) return -1;
    return static_cast<int64_t>(std::llround(media_.duration * output_.samplerate));
}

bool gst_audio_source::seek(double start, double duration) {
    auto start_ns = static_cast<gint64>(std::llround(start * GST_SECOND));
    GstSeekType stop_type = duration > 0 ? GST_SEEK_TYPE_SET : GST_SEEK_TYPE_NONE;
    auto stop_ns = duration > 0 ? static_cast<gint64>(std::llround((start + duration) * GST_SECOND)) : -1;
    if (!gst_element_seek(pipeline_.get(), 1.0, GST_FORMAT_TIME,
                          static_cast<GstSeekFlags>(GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE),
                          GST_SEEK_TYPE_SET, start_ns, stop_type, stop_ns))
        return false;
    wait_async_done("seeking");
    return true;
}

void gst_audio_source::play() { gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING); }

bool gst_audio_source::pull(std::vector<float>& out, int64_t& pts_ns) {
    const auto deadline_span = options_.timeout;
    auto deadline = std::chrono::steady_clock::now() + deadline_span;
    for (;;) {
        if (cancelled_) throw cancelled_error();
        check_bus();
        gst_sample_ptr sample(gst_app_sink_try_pull_sample(GST_APP_SINK(sink_), poll_interval));
        if (sample) {
            GstBuffer* buf = gst_sample_get_buffer(sample.get());
            if (!buf) continue;
            pts_ns = GST_BUFFER_PTS_IS_VALID(buf) ? static_cast<int64_t>(GST_BUFFER_PTS(buf)) : -1;
            gst_buffer_view view(buf);
            if (!view.ok()) throw processing_error(fmt::format("{}: cannot read a decoded buffer", options_.label));
            auto* f = reinterpret_cast<const float*>(view.data());
            out.insert(out.end(), f, f + view.size() / sizeof(float));
            return true;
        }
        if (gst_app_sink_is_eos(GST_APP_SINK(sink_))) {
            check_bus();
            return false;
        }
        if (std::chrono::steady_clock::now() > deadline)
            throw processing_error(fmt::format("{}: timed out: no audio for {} s", options_.label,
                                               deadline_span.count() / 1000.0));
    }
}

}  // namespace timeside
