// rtsp_mount_media: one live mount's RTSP path. A shared gst-rtsp-server media factory whose
// pipeline (appsrc ! audioconvert ! audioresample ! opusenc ! rtpopuspay) is fed from the mount's
// own audio_feed: every client of the path shares one media, and no source is decoded twice.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include <gst/rtsp-server/rtsp-server.h>

#include "core/gst_callback_guard.hpp"
#include "server/live/audio_feed.hpp"

namespace timeside::server::rtsp {

// Shared with the media pumps, which may outlive the path (a media is torn down by its clients).
struct rtsp_mount_counters {
    std::atomic<int64_t> medias{0};        // media pipelines running now (1 while anyone listens)
    std::atomic<int64_t> media_starts{0};  // media pipelines built so far
    // Audio of the mount a media lost because its pump or its pipeline stalled for over a second
    // (a gap its clients hear), and the times its timestamps were set back on the pipeline's clock
    // after drifting 100 ms from it (the mount's clock late; no audio lost).
    std::atomic<int64_t> dropped_frames{0};
    std::atomic<int64_t> resyncs{0};
};

struct rtsp_media_settings {
    int opus_bitrate = 128000;  // bits per second of the RTSP Opus encode
    // Where the pumps' timers run: a GLib main context of the RTSP server's (not the one its
    // clients run on: preparing a media blocks that one until the pump has fed it).
    GMainContext* context = nullptr;
    // Factory roles: the role a client's token must carry to reach this path ("anonymous" for an
    // open mount).
    std::string role = "anonymous";
};

class rtsp_mount_media {
public:
    rtsp_mount_media(std::string id, std::shared_ptr<live::audio_feed> feed, rtsp_media_settings settings);
    ~rtsp_mount_media();
    rtsp_mount_media(const rtsp_mount_media&) = delete;
    rtsp_mount_media& operator=(const rtsp_mount_media&) = delete;

    const std::string& id() const { return id_; }
    std::string path() const { return "/live/" + id_; }
    // The factory, for gst_rtsp_mount_points_add_factory (which takes its own reference).
    GstRTSPMediaFactory* factory() const { return factory_; }
    // Every media this path built is tagged with it; serial_of() reads the tag back (0: none).
    uint64_t serial() const { return serial_; }
    static uint64_t serial_of(GstRTSPMedia* media);
    const std::shared_ptr<rtsp_mount_counters>& counters() const { return counters_; }

    // The launch line of the media pipeline for a feed of `rate` Hz and `channels` channels.
    static std::string launch_line(int rate, int channels, int opus_bitrate);

private:
    static void on_media_configure(GstRTSPMediaFactory* factory, GstRTSPMedia* media, gpointer data);
    void do_configure(GstRTSPMedia* media);

    const std::string id_;
    const std::shared_ptr<live::audio_feed> feed_;
    const rtsp_media_settings settings_;
    const uint64_t serial_;
    std::shared_ptr<rtsp_mount_counters> counters_;
    GstRTSPMediaFactory* factory_ = nullptr;
    gst_callback_guard<rtsp_mount_media> guard_{this};  // last: detaches before the rest goes
};

}  // namespace timeside::server::rtsp
