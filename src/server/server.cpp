// Start-up order: presets, routes, the bound socket (so a bad config or a busy port fails before
// anything runs), then the library's first scan in the background and the network threads.
#include "server/server.hpp"

#include <csignal>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "core/catalog_json.hpp"
#include "core/data_dirs.hpp"
#include "core/errors.hpp"
#include "core/thread_name.hpp"
#include "server/analysis_routes.hpp"
#include "server/api_routes.hpp"
#include "server/web_routes.hpp"
#include "server/http/listener.hpp"
#include "server/log.hpp"
#include "server/events_routes.hpp"
#include "server/live_routes.hpp"
#include "server/media_routes.hpp"
#include "server/open_files.hpp"
#include "server/status_routes.hpp"

namespace timeside::server {

namespace asio = boost::asio;

namespace {
constexpr auto drain_poll = std::chrono::milliseconds(20);

// One network thread's loop. A handler that throws ends run() on that thread; the sessions catch
// what requests cause, so this is the last defence: log it and run on (asio allows run() again
// after a handler's exception), never let it reach std::terminate.
void run_network_loop(asio::io_context& ioc) {
    for (;;) {
        try {
            ioc.run();
            return;
        } catch (const std::exception& e) {
            log(log_level::error, "handler_exception", {{"error", e.what()}});
        } catch (...) {
            log(log_level::error, "handler_exception", {{"error", "unknown exception"}});
        }
    }
}

// The default streams/ may be absent (nothing is live); a folder asked for must be there.
std::filesystem::path checked_streams_dir(const server_config& c) {
    std::error_code ec;
    if (c.streams_given && !std::filesystem::is_directory(c.streams_dir, ec))
        throw usage_error(fmt::format("streams folder {}: no such directory", c.streams_dir.string()));
    return c.streams_dir;
}
}  // namespace

server::server(server_config config)
    : config_(std::move(config)),
      presets_(preset_library::load(default_presets_dir(config_.presets_dir.string()))),
      library_(config_.media_folders, config_.rescan_interval),
      cache_(config_.cache_dir.empty() ? default_cache_dir() : config_.cache_dir, config_.cache_max_bytes),
      jobs_(cache_, config_.max_transcodes),
      transcoder_(jobs_, &metrics_),
      station_(config_, presets_),
      control_(asio::make_strand(ioc_)),
      signals_(control_, SIGINT, SIGTERM),
      reload_signal_(control_, SIGHUP),
      drain_timer_(control_) {
    checked_streams_dir(config_);
    api_ = std::make_unique<api_state>(api_state{library_, connections_, transcoder_, processors_json().dump(2),
                                                 presets_json(presets_).dump(2), std::chrono::steady_clock::now()});
    // Before the API routes: /api/items/{id+} would take /api/items/x/results for an item "x/results".
    analysis_ = std::make_unique<analysis_state>(analysis_state{library_, presets_, jobs_, cache_, &metrics_, config_.max_result_values});
    add_analysis_routes(router_, *analysis_);
    add_api_routes(router_, *api_);
    media_ = std::make_unique<media_state>(media_state{library_, presets_, transcoder_, cache_, &metrics_});
    add_media_routes(router_, *media_);
    live_ = std::make_unique<live_state>(live_state{station_, connections_, [this] { return static_cast<unsigned>(port()); },
                                                   live::ingest_endpoint(connections_, [this](const std::string& id) {
                                                       return station_.find_ingest(id);
                                                   })});
    add_live_routes(router_, *live_);
    item_feeds_ = std::make_unique<events::item_feeds>(jobs_, station_.subscriber_budget(), config_.max_result_values);
    item_events_ = std::make_unique<item_events_state>(item_events_state{*analysis_, connections_, *item_feeds_});
    add_item_event_routes(router_, *item_events_);  // before /events/{id}
    add_event_routes(router_, *live_);
    status_ = std::make_unique<status_state>(
        status_state{library_, connections_, transcoder_, metrics_, station_, std::chrono::steady_clock::now()});
    add_status_routes(router_, *status_);
    web_ = std::make_unique<web_state>(web_state{default_data_dir("web", "TIMESIDE_WEB", config_.web_dir.string())});
    add_web_routes(router_, *web_);  // last: "/{path+}" would take any path
    metrics_.set_cache_limit(config_.cache_max_bytes);
    cache_.set_observer([this](const media::cache_usage& u) { metrics_.set_cache_usage(u.bytes, u.entries); });
    session_context_ = std::make_unique<http::session_context>(http::session_context{config_, router_, connections_, metrics_});
    listener_ = std::make_shared<http::listener>(ioc_, config_.listen, *session_context_);
    // Last: a bad stream definition stops the server before any mount runs (exit 2).
    station_.start(ioc_.get_executor());
}

server::~server() {
    station_.stop();
    jobs_.stop_all();
    library_.stop();
}

uint16_t server::port() const { return listener_->local_endpoint().port(); }

int server::run() {
    std::signal(SIGPIPE, SIG_IGN);  // a client gone mid-write is an error code, not a signal
    library_.start();
    listener_->start();
    signals_.async_wait([this](const boost::system::error_code& ec, int sig) { on_signal(ec, sig); });
    reload_signal_.async_wait([this](const boost::system::error_code& ec, int sig) { on_reload_signal(ec, sig); });
    const unsigned threads = config_.threads ? config_.threads : std::max(1u, std::thread::hardware_concurrency());
    std::vector<std::string> folders;
    for (const auto& f : config_.media_folders) folders.push_back(f.string());
    const uint64_t open_files = raise_open_files_limit();
    // A descriptor per connection, plus the server's own (files, pipes, GStreamer's, the inotify watch).
    if (open_files < uint64_t(config_.connection_cap()) + 128)
        log(log_level::warn, "open_files",
            {{"limit", std::to_string(open_files)},
             {"connection_cap", std::to_string(config_.connection_cap())},
             {"cause", "fewer descriptors than connections the server admits: raise the hard limit (ulimit -Hn, "
                       "systemd's LimitNOFILE=) or lower max_connections / max_listeners"}});
    const auto ep = listener_->local_endpoint();
    log(log_level::info, "listening",
        {{"url", fmt::format("http://{}/", listen_address{ep.address().to_string(), ep.port()}.to_string())},
         {"threads", std::to_string(threads)},
         {"open_files", std::to_string(open_files)},
         {"media", fmt::format("{}", fmt::join(folders, ","))},
         {"config", config_.source.empty() ? std::string("defaults") : config_.source.string()}});
    std::vector<std::thread> pool;
    for (unsigned i = 1; i < threads; ++i)
        pool.emplace_back([this] {
            name_this_thread("net");
            run_network_loop(ioc_);
        });
    run_network_loop(ioc_);
    for (auto& t : pool) t.join();
    station_.stop();
    jobs_.stop_all();
    library_.stop();
    log(log_level::info, "stopped", {{"forced", forced_ ? "true" : "false"}});
    return 0;
}

void server::on_signal(const boost::system::error_code& ec, int signal) {
    if (ec) return;
    if (draining_) {
        // A second signal: no more waiting.
        forced_ = true;
        log(log_level::warn, "signal", {{"signal", std::to_string(signal)}, {"action", "close"}});
        connections_.close_all();
        return finish();
    }
    draining_ = true;
    log(log_level::info, "signal", {{"signal", std::to_string(signal)}, {"action", "drain"},
                                    {"connections", std::to_string(connections_.count())}});
    listener_->stop();
    connections_.drain_all();
    drain_deadline_ = std::chrono::steady_clock::now() + config_.drain_timeout;
    signals_.async_wait([this](const boost::system::error_code& e, int sig) { on_signal(e, sig); });
    on_drain_tick();
}

// The reload runs on the station's reload thread (it prerolls GStreamer pipelines); a SIGHUP during
// a reload gets one more after it, which reads the folder as it is then.
void server::on_reload_signal(const boost::system::error_code& ec, int) {
    if (ec || draining_) return;
    log(log_level::info, "signal", {{"signal", "SIGHUP"}, {"action", "reload"}});
    station_.request_reload();
    reload_signal_.async_wait([this](const boost::system::error_code& e, int sig) { on_reload_signal(e, sig); });
}

void server::on_drain_tick() {
    if (connections_.count() == 0) return finish();
    if (std::chrono::steady_clock::now() >= drain_deadline_ && !forced_) {
        forced_ = true;
        log(log_level::warn, "drain_timeout", {{"closing", std::to_string(connections_.count())}});
        connections_.close_all();
        drain_deadline_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
    } else if (forced_ && std::chrono::steady_clock::now() >= drain_deadline_) {
        return finish();  // sessions that would not close: stop the loop, their destructors follow
    }
    drain_timer_.expires_after(drain_poll);
    drain_timer_.async_wait([this](const boost::system::error_code& e) {
        if (!e) on_drain_tick();
    });
}

void server::finish() {
    boost::system::error_code ec;
    signals_.cancel(ec);
    reload_signal_.cancel(ec);
    drain_timer_.cancel();
    ioc_.stop();
}

}  // namespace timeside::server
