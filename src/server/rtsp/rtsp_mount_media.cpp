// The media of one mount's RTSP path: the factory's pipeline, and the pump that moves the mount's
// blocks into each media's appsrc on the RTSP server's context, never holding the mount back.
#include "server/rtsp/rtsp_mount_media.hpp"

#include <vector>

#include <fmt/format.h>
#include <gst/app/gstappsrc.h>

#include "core/errors.hpp"
#include "server/log.hpp"

namespace timeside::server::rtsp {

namespace {

constexpr guint pump_interval_ms = 10;
// The appsrc holds at most this much that its pipeline has not taken: a pipeline that stalls for
// longer (its streaming thread not scheduled, a TCP client's backlog full) loses what the pump
// has for it then, counted, instead of growing or blocking the pump. A second rides out the
// stalls a loaded machine gives; in steady state the appsrc holds one pump tick.
constexpr double appsrc_max_seconds = 1.0;
// The feed's reader keeps at most this much for a pump that missed its ticks (the rest counted).
constexpr double reader_max_seconds = 1.0;
// Timestamps follow the frames while they stay this close to the clock.
constexpr GstClockTimeDiff max_drift = 100 * GST_MSECOND;
const char* const serial_key = "timeside-rtsp-mount";
const char* const pump_key = "timeside-rtsp-pump";

std::atomic<uint64_t> next_serial{1};

// One media's pump: every 10 ms, what the feed's reader has goes into the appsrc, stamped by its
// frames on the pipeline's running time. It owns its reader and a reference to
// the appsrc, nothing of the rtsp_mount_media: it may outlive the path.
class media_pump {
public:
    media_pump(GstElement* appsrc, std::shared_ptr<live::audio_feed::reader> reader, audio_format format,
               std::shared_ptr<rtsp_mount_counters> counters)
        : appsrc_(appsrc), reader_(std::move(reader)), format_(format), counters_(std::move(counters)) {
        ++counters_->medias;
        ++counters_->media_starts;
    }
    ~media_pump() {
        --counters_->medias;
        gst_object_unref(appsrc_);
    }
    media_pump(const media_pump&) = delete;
    media_pump& operator=(const media_pump&) = delete;

    static gboolean on_tick(gpointer data) { return static_cast<media_pump*>(data)->tick(); }
    static void release(gpointer data) { delete static_cast<media_pump*>(data); }

private:
    gboolean tick() {
        scratch_.clear();
        const auto st = reader_->read(scratch_, format_.samplerate / 2, format_.channels);
        const int64_t reader_dropped = reader_->dropped_frames();  // overruns since the last tick
        counters_->dropped_frames += reader_dropped - reader_dropped_;
        reader_dropped_ = reader_dropped;
        if (st == live::live_input::status::ended) {
            // The mount stopped: its clients get the end of the stream.
            gst_app_src_end_of_stream(GST_APP_SRC(appsrc_));
            return G_SOURCE_REMOVE;
        }
        if (st != live::live_input::status::data || scratch_.empty()) return G_SOURCE_CONTINUE;
        // Until PLAY the audio is dropped here: a client that plays later starts with what is
        // live then, not with a backlog.
        GstClock* clock = gst_element_get_clock(appsrc_);
        GST_OBJECT_LOCK(appsrc_);
        const bool playing = GST_STATE(appsrc_) == GST_STATE_PLAYING;
        GST_OBJECT_UNLOCK(appsrc_);
        if (!playing || !clock) {
            if (clock) gst_object_unref(clock);
            next_pts_ = GST_CLOCK_TIME_NONE;
            return G_SOURCE_CONTINUE;
        }
        const GstClockTime now = gst_clock_get_time(clock) - gst_element_get_base_time(appsrc_);
        gst_object_unref(clock);
        const auto frames = static_cast<guint64>(scratch_.size() / format_.channels);
        const GstClockTime duration = gst_util_uint64_scale_int(frames, GST_SECOND, format_.samplerate);
        // Timestamps count the frames, so the encoder sees one continuous stream (the ticks'
        // jitter would read as gaps and overlaps); they are set back on the pipeline's clock
        // (the audio that arrived now ends now) at the start and whenever they drift from it.
        const GstClockTime live_pts = now > duration ? now - duration : 0;
        bool discont = false;
        if (!GST_CLOCK_TIME_IS_VALID(next_pts_) || GST_CLOCK_DIFF(next_pts_, live_pts) > max_drift ||
            GST_CLOCK_DIFF(live_pts, next_pts_) > max_drift) {
            if (GST_CLOCK_TIME_IS_VALID(next_pts_)) ++counters_->resyncs;
            next_pts_ = live_pts;
            discont = true;
        }
        const gsize bytes = scratch_.size() * sizeof(float);
        if (gst_app_src_get_current_level_bytes(GST_APP_SRC(appsrc_)) + bytes > gst_app_src_get_max_bytes(GST_APP_SRC(appsrc_))) {
            // The pipeline has not taken the last second: this audio is dropped (counted), its
            // time skipped, so what follows keeps its place on the clock.
            counters_->dropped_frames += static_cast<int64_t>(frames);
            next_pts_ += duration;
            return G_SOURCE_CONTINUE;
        }
        GstBuffer* buffer = gst_buffer_new_allocate(nullptr, bytes, nullptr);
        gst_buffer_fill(buffer, 0, scratch_.data(), bytes);
        GST_BUFFER_PTS(buffer) = next_pts_;
        GST_BUFFER_DURATION(buffer) = duration;
        if (discont) GST_BUFFER_FLAG_SET(buffer, GST_BUFFER_FLAG_DISCONT);
        next_pts_ += duration;
        gst_app_src_push_buffer(GST_APP_SRC(appsrc_), buffer);  // takes it; never blocks (block=false)
        return G_SOURCE_CONTINUE;
    }

    GstElement* appsrc_;
    std::shared_ptr<live::audio_feed::reader> reader_;
    audio_format format_;
    std::shared_ptr<rtsp_mount_counters> counters_;
    std::vector<float> scratch_;
    GstClockTime next_pts_ = GST_CLOCK_TIME_NONE;
    int64_t reader_dropped_ = 0;  // the reader's dropped_frames() already counted
};

// Held by the media (object data): the pump's timer goes when the media goes.
void destroy_timer(gpointer data) {
    auto* source = static_cast<GSource*>(data);
    g_source_destroy(source);
    g_source_unref(source);
}

}  // namespace

std::string rtsp_mount_media::launch_line(int rate, int channels, int opus_bitrate) {
    // audioresample: Opus takes 48 kHz (and 8/12/16/24); a 44.1 kHz mount is resampled here.
    return fmt::format(
        "( appsrc name=src caps=audio/x-raw,format=F32LE,layout=interleaved,rate={},channels={} "
        "! audioconvert ! audioresample ! opusenc bitrate={} ! rtpopuspay name=pay0 pt=96 )",
        rate, channels, opus_bitrate);
}

rtsp_mount_media::rtsp_mount_media(std::string id, std::shared_ptr<live::audio_feed> feed, rtsp_media_settings settings)
    : id_(std::move(id)),
      feed_(std::move(feed)),
      settings_(std::move(settings)),
      serial_(next_serial++),
      counters_(std::make_shared<rtsp_mount_counters>()) {
    const auto format = feed_->format();
    if (format.channels < 1 || format.channels > 2)
        throw usage_error(fmt::format("mount {}: RTSP serves mono or stereo mounts; this one has {} channels", id_,
                                      format.channels));
    factory_ = gst_rtsp_media_factory_new();
    gst_rtsp_media_factory_set_launch(factory_, launch_line(format.samplerate, format.channels, settings_.opus_bitrate).c_str());
    gst_rtsp_media_factory_set_shared(factory_, TRUE);
    gst_rtsp_media_factory_set_protocols(factory_,
                                         static_cast<GstRTSPLowerTrans>(GST_RTSP_LOWER_TRANS_UDP | GST_RTSP_LOWER_TRANS_TCP));
    gst_rtsp_media_factory_add_role(factory_, settings_.role.c_str(), GST_RTSP_PERM_MEDIA_FACTORY_ACCESS, G_TYPE_BOOLEAN,
                                    TRUE, GST_RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, G_TYPE_BOOLEAN, TRUE, nullptr);
    guard_.connect(factory_, "media-configure", G_CALLBACK(on_media_configure));
}

rtsp_mount_media::~rtsp_mount_media() {
    guard_.detach();  // a media being configured now finishes first; none reaches us afterwards
    g_object_unref(factory_);
}

uint64_t rtsp_mount_media::serial_of(GstRTSPMedia* media) {
    return static_cast<uint64_t>(GPOINTER_TO_SIZE(g_object_get_data(G_OBJECT(media), serial_key)));
}

void rtsp_mount_media::on_media_configure(GstRTSPMediaFactory*, GstRTSPMedia* media, gpointer data) {
    gst_callback_guard<rtsp_mount_media>::scope scope(data);
    if (auto* self = scope.owner()) self->do_configure(media);
}

void rtsp_mount_media::do_configure(GstRTSPMedia* media) {
    GstElement* bin = gst_rtsp_media_get_element(media);
    GstElement* src = gst_bin_get_by_name(GST_BIN(bin), "src");
    gst_object_unref(bin);
    if (!src) {
        log(log_level::error, "rtsp_media", {{"mount", id_}, {"error", "the media pipeline has no appsrc named src"}});
        return;
    }
    g_object_set(src, "is-live", TRUE, "format", GST_FORMAT_TIME, "block", FALSE, nullptr);
    const auto format = feed_->format();
    gst_app_src_set_max_bytes(GST_APP_SRC(src), static_cast<guint64>(appsrc_max_seconds * format.samplerate) *
                                                    static_cast<guint64>(format.channels) * sizeof(float));
    gst_app_src_set_leaky_type(GST_APP_SRC(src), GST_APP_LEAKY_TYPE_DOWNSTREAM);
    auto* pump = new media_pump(src, feed_->subscribe(reader_max_seconds), format, counters_);
    GSource* timer = g_timeout_source_new(pump_interval_ms);
    g_source_set_callback(timer, media_pump::on_tick, pump, media_pump::release);
    g_source_attach(timer, settings_.context);
    g_object_set_data(G_OBJECT(media), serial_key, GSIZE_TO_POINTER(serial_));
    g_object_set_data_full(G_OBJECT(media), pump_key, timer, destroy_timer);
    log(log_level::info, "rtsp_media_created", {{"mount", id_}, {"path", path()}});
}

}  // namespace timeside::server::rtsp
