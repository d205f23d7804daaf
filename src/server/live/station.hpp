// The station: every live mount the streams folder defines, running. For each definition it builds
// one hub per output and the engine's mount publishing into them, and, for an ingest mount, the
// endpoint a source client's connection is attached through. It follows the folder (mount_set:
// SIGHUP, inotify) and answers the live routes: listeners, sources, /admin/metadata, status.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <nlohmann/json_fwd.hpp>

#include "server/config.hpp"
#include "server/events/event_hub.hpp"
#include "server/live/hub.hpp"
#include "server/live/ingest_session.hpp"
#include "server/live/mount_set.hpp"
#include "server/live/stream_definition.hpp"

namespace timeside {
class preset_library;
}

namespace timeside::server::rtsp {
class rtsp_server;
}

namespace timeside::server::hls {
class hls_segmenter;
}

namespace timeside::server::live {

class definition_watch;
class reload_runner;
class mount;
struct running_mount;

class station {
public:
    station(const server_config& config, const preset_library& presets);
    ~station();
    station(const station&) = delete;
    station& operator=(const station&) = delete;

    // Reads the streams folder and starts every mount (a bad file: usage_error naming it and the
    // key, nothing started), then watches the folder. A missing default folder defines none.
    // `network`: the server's io_context, where the outputs' pushes to Icecast servers run.
    void start(boost::asio::any_io_executor network);
    // Reads the folder again (mount_set::reload) on the calling thread; never throws for a bad file.
    reload_report reload();
    // A reload on the station's reload thread (SIGHUP, the folder's watch, the admin API): `done`
    // gets its report, or nullopt when the station stopped first. See reload_runner.
    void request_reload(std::function<void(const std::optional<reload_report>&)> done = {});
    // Stops every mount and closes their listeners (server shutdown).
    void stop() noexcept;

    // The hub of mount `id`'s output with extension `ext`; null when there is none.
    std::shared_ptr<hub> find_hub(const std::string& id, const std::string& ext) const;
    // The HLS of mount `id`; null, with `why` (for the 404), when there is no such mount or it has no HLS.
    std::shared_ptr<hls::hls_segmenter> find_hls(const std::string& id, std::string& why) const;
    // The analysis events feed of mount `id`; null when there is no such mount.
    std::shared_ptr<events::event_hub> find_events(const std::string& id) const;
    // The server-wide subscriber cap ([live] max_subscribers), which items' feeds share too.
    const std::shared_ptr<events::subscriber_budget>& subscriber_budget() const { return subscriber_budget_; }
    // The ingest side of mount `id` (its input is `icecast`); null otherwise.
    std::shared_ptr<ingest_mount> find_ingest(const std::string& id) const;
    // /admin/metadata: false when there is no such mount.
    bool set_title(const std::string& id, std::string title);

    nlohmann::json streams_json() const;  // GET /api/streams
    nlohmann::json status_json() const;   // the "live" section of GET /api/status
    // GET /admin/api/mounts/{id}/listeners: the mount's source and every listener (peer, user
    // agent, connected for, bytes); nothing when there is no such mount.
    std::optional<nlohmann::json> admin_mount_json(const std::string& id) const;
    // GET /admin/api/mounts: {"mounts": [admin_mount_json of each, by id], "count"}.
    nlohmann::json admin_mounts_json() const;
    // POST /admin/api/reload: `report` (a reload()'s) with each definition file's result: loaded
    // (added or changed), unchanged, error (its message, and what runs instead) or removed.
    nlohmann::json reload_json(const reload_report& report) const;
    std::string icecast_status_json(const std::string& host, unsigned port) const;  // GET /status-json.xsl
    void render_metrics(std::string& out) const;  // appended to GET /metrics

    const server_config& config() const { return config_; }

private:
    void start_mount(const stream_definition& def);
    void replace_mount(const stream_definition& def);
    void stop_mount(const std::string& id);
    void start_rtsp();
    std::shared_ptr<running_mount> build(const stream_definition& def);
    std::shared_ptr<running_mount> find(const std::string& id) const;
    std::vector<std::shared_ptr<running_mount>> all() const;

    const server_config& config_;
    const preset_library& presets_;
    std::shared_ptr<listener_budget> budget_;
    std::shared_ptr<events::subscriber_budget> subscriber_budget_;
    std::chrono::system_clock::time_point started_;
    boost::asio::any_io_executor network_;

    mutable std::mutex mutex_;  // mounts_
    std::map<std::string, std::shared_ptr<running_mount>> mounts_;
    std::unique_ptr<rtsp::rtsp_server> rtsp_;  // [rtsp] listen: each mount's RTSP path; null when off
    std::unique_ptr<mount_set> set_;
    std::unique_ptr<reload_runner> reloader_;  // after set_: stopped first
    std::unique_ptr<definition_watch> watch_;
};

}  // namespace timeside::server::live
