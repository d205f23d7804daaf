// `timeside serve`: one io_context run by N threads, the listener, the router with the API
// routes, the media library's scanning thread, and a signal_set that turns SIGINT/SIGTERM into a
// graceful drain (stop accepting, let responses in flight finish, close the rest after
// drain_timeout). A second signal closes everything at once.
#pragma once

#include <chrono>
#include <atomic>
#include <memory>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "core/presets.hpp"
#include "server/config.hpp"
#include "server/http/connections.hpp"
#include "server/http/router.hpp"
#include "server/media/disk_cache.hpp"
#include "server/media/job_runner.hpp"
#include "server/media/library.hpp"
#include "server/media/transcoder.hpp"
#include "server/metrics.hpp"
#include "server/live/station.hpp"

namespace timeside::server {

namespace http {
class listener;
struct session_context;
}
namespace events {
class item_feeds;
}
struct analysis_state;
struct api_state;
struct item_events_state;
struct live_state;
struct media_state;
struct status_state;
struct web_state;

class server {
public:
    // Loads the presets and binds the listening socket: a bad preset is a usage_error, an
    // address in use a processing_error, both before anything is served.
    explicit server(server_config config);
    ~server();

    // Serves until a signal has drained the server; returns the exit status (0).
    int run();
    uint16_t port() const;  // the bound port (useful with port 0)
    // What fuzz/request_fuzzer.cpp drives without reading the socket: the routes, the library.
    const http::router& routes() const { return router_; }
    media::library& library() { return library_; }

private:
    void on_signal(const boost::system::error_code& ec, int signal);
    void on_reload_signal(const boost::system::error_code& ec, int signal);
    void on_drain_tick();
    void finish();

    // Declared before ioc_: the handlers the io_context still holds when it is destroyed keep
    // sessions alive, and those reach the registry, the router and the config on destruction.
    server_config config_;
    metrics metrics_;
    preset_library presets_;
    media::library library_;
    http::connection_registry connections_;
    media::disk_cache cache_;
    media::job_runner jobs_;
    media::transcoder transcoder_;
    http::router router_;
    live::station station_;  // after the registry and presets it uses; stopped before they go
    std::unique_ptr<live_state> live_;
    std::unique_ptr<analysis_state> analysis_;
    std::unique_ptr<events::item_feeds> item_feeds_;  // its runs' jobs are stopped (stop_all) before it goes
    std::unique_ptr<item_events_state> item_events_;
    std::unique_ptr<api_state> api_;
    std::unique_ptr<media_state> media_;
    std::unique_ptr<status_state> status_;
    std::unique_ptr<web_state> web_;
    std::unique_ptr<http::session_context> session_context_;

    boost::asio::io_context ioc_;
    boost::asio::strand<boost::asio::io_context::executor_type> control_;  // signals and the drain
    boost::asio::signal_set signals_;
    boost::asio::signal_set reload_signal_;  // SIGHUP: read the streams folder again
    boost::asio::steady_timer drain_timer_;
    std::shared_ptr<http::listener> listener_;
    std::chrono::steady_clock::time_point drain_deadline_;
    bool draining_ = false;
    bool forced_ = false;
};

}  // namespace timeside::server
