// rtsp_server: the server's RTSP side (gst-rtsp-server) on a GLib main loop of its own thread.
// Each live mount gets the path /live/{id} (rtsp_mount_media: Opus over RTP, one shared media per
// mount, fed from the mount's blocks), over UDP and TCP-interleaved transports, with Basic auth
// for the mounts whose definition sets an [rtsp] password. The station adds and removes paths as
// mounts start, are replaced and stop.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <gst/rtsp-server/rtsp-server.h>

#include "server/config.hpp"
#include "server/live/audio_feed.hpp"
#include "server/rtsp/rtsp_mount_media.hpp"

namespace timeside::server::rtsp {

// Who may play a path: everyone (empty password), or a client giving this user and password.
struct rtsp_access {
    std::string user = "listener";
    std::string password;
};

struct rtsp_mount_counts {
    int64_t clients = 0;       // RTSP sessions playing (or set up on) the path now
    int64_t medias = 0;        // media pipelines running for it (1 while anyone listens: shared)
    int64_t media_starts = 0;  // media pipelines built so far
    int64_t dropped_frames = 0;  // mount audio the medias lost to stalls (rtsp_mount_counters)
    int64_t resyncs = 0;         // media timestamps set back on the clock
};

// Threads: construct, start() and stop() from the owner (the station); add_mount, remove_mount
// and counts from any thread.
class rtsp_server {
public:
    // Binds `listen` (port 0: a free port) at once; throws processing_error naming the address
    // when it cannot (in use, not local). `opus_bitrate`: bits per second of each mount's encode.
    rtsp_server(const listen_address& listen, int opus_bitrate);
    ~rtsp_server();
    rtsp_server(const rtsp_server&) = delete;
    rtsp_server& operator=(const rtsp_server&) = delete;

    // Runs the main loop on its own thread.
    void start();
    // Closes every client, stops the loop and joins it. Idempotent; the paths stay registered
    // (nothing is served any more).
    void stop() noexcept;

    uint16_t port() const { return port_; }
    std::string url(const std::string& id) const;  // rtsp://HOST:PORT/live/{id}

    // Serves `feed` at /live/{id}; a path of that id already there is replaced and its clients
    // closed (the mount restarted: its stream starts again). Throws usage_error for a feed RTSP
    // cannot carry (more than two channels).
    void add_mount(const std::string& id, std::shared_ptr<live::audio_feed> feed, const rtsp_access& access);
    // The path is gone (RTSP 404 from now on) and its clients are closed.
    void remove_mount(const std::string& id);

    // By mount id, for every path served.
    std::map<std::string, rtsp_mount_counts> counts() const;

private:
    void close_clients_of(uint64_t serial);
    std::string role_for(const rtsp_access& access);

    listen_address listen_;
    int opus_bitrate_;
    GMainContext* context_ = nullptr;  // gst-rtsp-server: the socket, the clients
    GMainLoop* loop_ = nullptr;
    // The pumps feeding the medias' appsrcs run on a loop of their own: preparing a media blocks
    // the RTSP loop until the media has produced its first packets, which need the pumps.
    GMainContext* pump_context_ = nullptr;
    GMainLoop* pump_loop_ = nullptr;
    std::thread pump_thread_;
    GstRTSPServer* server_ = nullptr;
    GstRTSPAuth* auth_ = nullptr;
    GSource* server_source_ = nullptr;
    GSource* cleanup_source_ = nullptr;
    uint16_t port_ = 0;
    std::thread thread_;

    mutable std::mutex mutex_;  // mounts_, roles_
    std::map<std::string, std::unique_ptr<rtsp_mount_media>> mounts_;
    std::map<std::string, std::string> roles_;  // Basic credential (base64) -> its role
};

}  // namespace timeside::server::rtsp
