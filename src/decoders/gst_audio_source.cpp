// The GStreamer side of decoding: pipeline construction, preroll, bus errors turned into
// processing_error messages that name the input, accurate seeks and buffer hand-over.
#include "decoders/gst_audio_source.hpp"

#include <cmath>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>
#include <gst/app/gstappsink.h>

#include "core/errors.hpp"
#include "core/gst_error.hpp"
#include "core/utf8.hpp"

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

gst_audio_source::~gst_audio_source() {
    // The streaming thread may be waiting in on_new_sample: release it before stopping the pipeline.
    if (chunks_) chunks_->stop();
    pipeline_.reset();
}

void gst_audio_source::cancel() noexcept {
    cancelled_ = true;
    if (chunks_) chunks_->stop();
}

GstFlowReturn gst_audio_source::on_new_sample(GstAppSink* sink, gpointer self_ptr) {
    guard::scope scope(self_ptr);
    auto* self = scope.owner();
    if (!self) return GST_FLOW_FLUSHING;
    gst_sample_ptr sample(gst_app_sink_pull_sample(sink));
    GstBuffer* buf = sample ? gst_sample_get_buffer(sample.get()) : nullptr;
    if (!buf || !self->chunks_) return GST_FLOW_OK;
    const int64_t pts = GST_BUFFER_PTS_IS_VALID(buf) ? static_cast<int64_t>(GST_BUFFER_PTS(buf)) : -1;
    gst_buffer_view view(buf);
    if (!view.ok()) return GST_FLOW_ERROR;
    const auto frames = static_cast<int64_t>(view.size() / sizeof(float)) / self->output_.channels;
    return self->chunks_->push(reinterpret_cast<const float*>(view.data()), frames, pts) ? GST_FLOW_OK
                                                                                        : GST_FLOW_FLUSHING;
}

void gst_audio_source::on_eos(GstAppSink*, gpointer self_ptr) {
    guard::scope scope(self_ptr);
    auto* self = scope.owner();
    if (!self) return;
    if (self->chunks_) self->chunks_->finish();
}

void gst_audio_source::on_pad_added(GstElement*, GstPad* pad, gpointer self_ptr) {
    guard::scope scope(self_ptr);
    auto* self = scope.owner();
    if (!self) return;
    gst_caps_ptr caps(gst_pad_get_current_caps(pad));
    if (!caps) caps.reset(gst_pad_query_caps(pad, nullptr));
    if (!caps_is_audio(caps.get()) || self->audio_linked_) return;
    gst_ptr<GstPad> sinkpad(gst_element_get_static_pad(self->convert_, "sink"));
    if (gst_pad_link(pad, sinkpad.get()) == GST_PAD_LINK_OK) self->audio_linked_ = true;
}

void gst_audio_source::on_no_more_pads(GstElement*, gpointer self_ptr) {
    guard::scope scope(self_ptr);
    auto* self = scope.owner();
    if (!self) return;
    if (self->audio_linked_) return;
    GError* err = g_error_new_literal(GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED, "it holds no audio stream");
    gst_element_post_message(self->pipeline_.get(),
                             gst_message_new_error(GST_OBJECT(self->pipeline_.get()), err, nullptr));
    g_error_free(err);
}

// Decoders negotiate their output inside uridecodebin before it is linked to us, and would pick
// their first format (S16 for mpg123). Answering their caps query with float first makes those
// that can deliver float do so: lossy overshoots are kept, nothing is rounded to 16 bits.
gboolean gst_audio_source::on_autoplug_query(GstElement*, GstPad*, GstElement*, GstQuery* query, gpointer) {
    if (GST_QUERY_TYPE(query) != GST_QUERY_CAPS) return FALSE;
    GstCaps* filter = nullptr;
    gst_query_parse_caps(query, &filter);
    gst_caps_ptr preferred(gst_caps_from_string("audio/x-raw,format=F32LE,layout=interleaved; audio/x-raw"));
    gst_caps_ptr result(filter ? gst_caps_intersect_full(preferred.get(), filter, GST_CAPS_INTERSECT_FIRST)
                               : gst_caps_ref(preferred.get()));
    if (gst_caps_is_empty(result.get())) return FALSE;
    gst_query_set_caps_result(query, result.get());
    return TRUE;
}

// Records the caps of each stage decodebin plugs, in order: the first is the container or codec
// the type finder saw (audio/x-wav, audio/x-flac, audio/ogg ...), unless it is a tag wrapper.
gboolean gst_audio_source::on_autoplug_continue(GstElement*, GstPad*, GstCaps* caps, gpointer self_ptr) {
    guard::scope scope(self_ptr);
    auto* self = scope.owner();
    if (!self) return TRUE;
    if (caps && gst_caps_get_size(caps) > 0) {
        std::lock_guard lock(self->mutex_);
        self->chain_types_.emplace_back(gst_structure_get_name(gst_caps_get_structure(caps, 0)));
    }
    return TRUE;
}

// Network sources: a bounded timeout, one retry at most, and our name in the User-Agent.
void gst_audio_source::on_source_setup(GstElement*, GstElement* source, gpointer self_ptr) {
    guard::scope scope(self_ptr);
    auto* self = scope.owner();
    if (!self) return;
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
    GstElement* as_float = make_element("capsfilter", label);
    GstElement* filter = make_element("capsfilter", label);
    sink_ = make_element("appsink", label);
    gst_bin_add_many(GST_BIN(pipeline_.get()), dec, convert_, as_float, resample, filter, sink_, nullptr);

    g_object_set(dec, "uri", options_.uri.c_str(), nullptr);
    // Conversion to float happens first, so resampling and remixing run in float.
    std::string caps_text = "audio/x-raw,format=F32LE,layout=interleaved";
    if (options_.channels > 0) caps_text += fmt::format(",channels={}", options_.channels);
    gst_caps_ptr float_caps(gst_caps_from_string(caps_text.c_str()));
    g_object_set(as_float, "caps", float_caps.get(), nullptr);
    if (options_.samplerate > 0) caps_text += fmt::format(",rate={}", options_.samplerate);
    gst_caps_ptr caps(gst_caps_from_string(caps_text.c_str()));
    g_object_set(filter, "caps", caps.get(), nullptr);
    // A few buffers of slack: enough to keep the decoder busy, bounded so memory stays flat.
    g_object_set(sink_, "sync", FALSE, "max-buffers", 2u, "drop", FALSE, "emit-signals", FALSE,
                 "enable-last-sample", FALSE, nullptr);
    if (!gst_element_link_many(convert_, as_float, resample, filter, sink_, nullptr))
        throw processing_error(fmt::format("{}: cannot build the decoding pipeline", label));

    GstAppSinkCallbacks callbacks{};
    callbacks.eos = on_eos;
    callbacks.new_sample = on_new_sample;
    gst_app_sink_set_callbacks(GST_APP_SINK(sink_), &callbacks, guard_.user_data(), guard::release);
    guard_.connect(dec, "pad-added", G_CALLBACK(on_pad_added));
    guard_.connect(dec, "no-more-pads", G_CALLBACK(on_no_more_pads));
    guard_.connect(dec, "source-setup", G_CALLBACK(on_source_setup));
    guard_.connect(dec, "autoplug-query", G_CALLBACK(on_autoplug_query));
    guard_.connect(dec, "autoplug-continue", G_CALLBACK(on_autoplug_continue));
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
                media_.tags.emplace(key, to_valid_utf8(text));  // the file's bytes, whatever they are
                g_free(text);
            }
        } else if (std::strcmp(key, "track") == 0) {
            guint n = 0;
            if (gst_tag_list_get_uint(tags.get(), tag, &n)) media_.tags.emplace(key, std::to_string(n));
        }
    }
}

void gst_audio_source::fail_from(GstMessage* msg) {
    const auto e = parse_gst_error(msg);
    std::string cause = e.message;
    if (e.domain == GST_RESOURCE_ERROR) {
        if (e.http_status != 0)
            cause += fmt::format(" (HTTP {})", e.http_status);
        else if (!e.reason.empty() && cause.find(e.reason) == std::string::npos)
            cause += fmt::format(" ({})", e.reason);
    }
    // A file that is not media: say so first, then what GStreamer saw ("a text file").
    if (e.stream_error_any_of({GST_STREAM_ERROR_TYPE_NOT_FOUND, GST_STREAM_ERROR_WRONG_TYPE})) {
        std::string seen = e.code == GST_STREAM_ERROR_TYPE_NOT_FOUND ? "could not determine its type" : cause;
        if (!seen.empty()) seen[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(seen[0])));
        cause = fmt::format("not a media file GStreamer can decode ({})", seen);
    }
    throw processing_error(fmt::format("{}: {}", options_.label, cause));
}

void gst_audio_source::check_bus() {
    const auto types = static_cast<GstMessageType>(GST_MESSAGE_ERROR | GST_MESSAGE_TAG | GST_MESSAGE_DURATION_CHANGED);
    while (gst_message_ptr msg{gst_bus_pop_filtered(bus_.get(), types)}) {
        switch (GST_MESSAGE_TYPE(msg.get())) {
            case GST_MESSAGE_ERROR: fail_from(msg.get());
            case GST_MESSAGE_TAG: take_tags(msg.get()); break;
            case GST_MESSAGE_DURATION_CHANGED: update_duration(); break;
            default: break;
        }
    }
}

void gst_audio_source::update_duration() {
    if (gapless_) return;  // the LAME tag's count is exact; GStreamer's includes the padding
    gint64 duration = -1;
    if (gst_element_query_duration(pipeline_.get(), GST_FORMAT_TIME, &duration) && duration >= 0) {
        double seconds = static_cast<double>(duration) / GST_SECOND;
        if (seconds != media_.duration) {
            media_.duration = seconds;
            ++duration_version_;
        }
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
    {
        // An ID3- or APE-tagged file is typed as its tag wrapper; what is inside is what users mean.
        std::lock_guard lock(mutex_);
        for (const auto& t : chain_types_) {
            if (t == "application/x-id3" || t == "application/x-apetag") continue;
            media_.mime = t;
            break;
        }
    }
    gst_ptr<GstPad> in_pad(gst_element_get_static_pad(convert_, "sink"));
    gst_ptr<GstPad> out_pad(gst_element_get_static_pad(sink_, "sink"));
    audio_format native = format_of(in_pad.get());
    output_ = format_of(out_pad.get());
    if (output_.samplerate <= 0 || output_.channels <= 0)
        throw processing_error(fmt::format("{}: no audio data could be decoded from it", options_.label));
    media_.samplerate = native.samplerate;
    media_.channels = native.channels;
    if (media_.mime == "audio/mpeg") read_gapless();
    update_duration();
}

// A local MP3's LAME tag that GStreamer does not read (ffmpeg's): the duration becomes the real
// one, and lead_frames() says what to drop. Those it reads ("LAME3.100", our mp3_encoder's), its
// parser and mpg123audiodec already trim exactly, and are left to it.
void gst_audio_source::read_gapless() {
    if (options_.uri.rfind("file://", 0) != 0) return;
    gchar* name = g_filename_from_uri(options_.uri.c_str(), nullptr, nullptr);
    if (!name) return;
    std::filesystem::path path(name);
    g_free(name);
    auto tag = read_mp3_gapless(path);
    if (!tag || tag->gstreamer_trims || tag->samplerate != media_.samplerate) return;
    gapless_ = tag;
    media_.duration = static_cast<double>(tag->frames) / tag->samplerate;
    ++duration_version_;
}

int64_t gst_audio_source::lead_frames() const {
    if (!gapless_) return 0;
    return static_cast<int64_t>(std::llround(static_cast<double>(gapless_->lead) * output_.samplerate / gapless_->samplerate));
}

int64_t gst_audio_source::duration_frames() const {
    if (gapless_ && gapless_->samplerate == output_.samplerate) return gapless_->frames;
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

void gst_audio_source::play() {
    chunks_ = std::make_unique<chunk_queue>(output_.channels, output_.samplerate, options_.chunk_frames);
    gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING);
}

bool gst_audio_source::pull(std::vector<float>& out, int64_t& pts_ns) {
    if (!chunks_) throw std::logic_error("gst_audio_source: pull before play");
    auto deadline = std::chrono::steady_clock::now() + options_.timeout;
    for (;;) {
        if (cancelled_) throw cancelled_error();
        check_bus();
        switch (chunks_->pop(out, pts_ns, std::chrono::milliseconds(100))) {
            case chunk_queue::status::chunk: return true;
            case chunk_queue::status::end: check_bus(); return false;
            case chunk_queue::status::waiting: break;
        }
        if (std::chrono::steady_clock::now() > deadline)
            throw processing_error(fmt::format("{}: timed out: no audio for {} s", options_.label,
                                               options_.timeout.count() / 1000.0));
    }
}

}  // namespace timeside
