// A mount's parts are built in order (hubs, then the engine publishing into them), started, and
// only then put where the routes find them; a replaced mount's new version is running before the
// old one stops, so a bad new version never leaves the id without a mount.
#include "server/live/station.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/errors.hpp"
#include "core/presets.hpp"
#include "server/live/definition_watch.hpp"
#include "server/live/reload_runner.hpp"
#include "server/live/running_mount.hpp"
#include "server/log.hpp"
#include "server/rtsp/rtsp_server.hpp"

namespace timeside::server::live {

namespace {

// The mount's RTSP path, if RTSP is on. A mount RTSP cannot carry still runs for its listeners.
void add_rtsp_path(rtsp::rtsp_server* rtsp, const running_mount& m) {
    if (!rtsp) return;
    try {
        rtsp->add_mount(m.def->id, m.engine->feed(), rtsp::rtsp_access{m.def->rtsp.user, m.def->rtsp.password});
    } catch (const std::exception& e) {
        log(log_level::warn, "rtsp_mount_refused", {{"mount", m.def->id}, {"error", e.what()}});
    }
}

}  // namespace

station::station(const server_config& config, const preset_library& presets)
    : config_(config),
      presets_(presets),
      budget_(std::make_shared<listener_budget>(config.max_listeners)),
      subscriber_budget_(std::make_shared<events::subscriber_budget>(config.max_subscribers)),
      started_(std::chrono::system_clock::now()) {}

station::~station() { stop(); }

// Before the mounts load, so that each gets its path as it starts. An address the config names
// must be free (else the server does not start); the default one is only a convenience: another
// server on the machine holding 8554 turns RTSP off here, with a warning.
void station::start_rtsp() {
    if (!config_.rtsp_listen) return;
    try {
        rtsp_ = std::make_unique<rtsp::rtsp_server>(*config_.rtsp_listen, static_cast<int>(config_.rtsp_bitrate_kbps) * 1000);
    } catch (const processing_error& e) {
        if (config_.rtsp_listen_given) throw;
        log(log_level::warn, "rtsp_off", {{"error", e.what()}, {"cause", "the default RTSP address is taken; set [rtsp] listen"}});
        return;
    }
    rtsp_->start();
}

void station::start(boost::asio::any_io_executor network) {
    network_ = std::move(network);
    if (config_.admin_password.empty())
        log(log_level::warn, "admin_closed",
            {{"reason", "no [live] admin_password in the configuration: /admin/metadata answers 401"}});
    mount_callbacks callbacks{[this](const stream_definition& d) { start_mount(d); },
                              [this](const stream_definition& d) { replace_mount(d); },
                              [this](const std::string& id) { stop_mount(id); }};
    start_rtsp();
    set_ = std::make_unique<mount_set>(config_.streams_dir, presets_, std::move(callbacks),
                                       definition_defaults{config_.source_timeout});
    set_->load();
    reloader_ = std::make_unique<reload_runner>([this] { return reload(); });
    std::error_code ec;
    if (std::filesystem::is_directory(config_.streams_dir, ec)) {
        try {
            watch_ = std::make_unique<definition_watch>(config_.streams_dir, [this] { request_reload(); });
        } catch (const std::exception& e) {
            // SIGHUP still reloads; only the automatic pick-up of edits is lost.
            log(log_level::warn, "streams_watch", {{"folder", config_.streams_dir.string()}, {"error", e.what()}});
        }
    }
}

void station::stop() noexcept {
    watch_.reset();  // no reload may start a mount from here on
    if (reloader_) reloader_->stop();  // a reload in progress finishes first
    if (rtsp_) rtsp_->stop();  // its clients closed before the mounts' feeds end
    std::map<std::string, std::shared_ptr<running_mount>> gone;
    {
        std::lock_guard lock(mutex_);
        gone.swap(mounts_);
    }
    for (auto& [id, m] : gone) m->stop("shutdown");
}

void station::start_mount(const stream_definition& def) {
    auto m = build(def);
    m->engine->start();  // throws: mount_set keeps the error for /api/streams
    m->events->set_catalog(events::make_catalog(def, m->engine->analyzers()));
    {
        std::lock_guard lock(mutex_);
        mounts_[def.id] = m;
    }
    m->start_pushes();
    add_rtsp_path(rtsp_.get(), *m);
    std::vector<std::string> urls;
    for (const auto& h : m->hubs) urls.push_back(h->settings().mount);
    for (const auto& p : m->pushes) urls.push_back(p->status().url);
    log_fields fields{{"mount", def.id}, {"file", def.file.string()}, {"outputs", fmt::format("{}", fmt::join(urls, ","))}};
    if (m->ingest) {
        fields.emplace_back("source", fmt::format("/live/{}", def.id));
        // A generated password is shown once, here, like a notebook server's token.
        if (def.input.password_generated) fields.emplace_back("password", def.input.password);
    }
    log(log_level::info, "mount_started", fields);
}

void station::replace_mount(const stream_definition& def) {
    auto fresh = build(def);
    fresh->engine->start();  // throws: the previous version runs on
    fresh->events->set_catalog(events::make_catalog(def, fresh->engine->analyzers()));
    std::shared_ptr<running_mount> old;
    {
        std::lock_guard lock(mutex_);
        old = std::exchange(mounts_[def.id], fresh);
    }
    if (old) old->stop("restarted");
    fresh->start_pushes();  // after the old version's: the same Icecast mount is free again
    add_rtsp_path(rtsp_.get(), *fresh);  // the old path's clients are closed, as its listeners are
    log(log_level::info, "mount_replaced", {{"mount", def.id}, {"file", def.file.string()}});
}

void station::stop_mount(const std::string& id) {
    std::shared_ptr<running_mount> old;
    {
        std::lock_guard lock(mutex_);
        auto it = mounts_.find(id);
        if (it == mounts_.end()) return;
        old = std::move(it->second);
        mounts_.erase(it);
    }
    if (rtsp_) rtsp_->remove_mount(id);
    old->stop("stopped");
    log(log_level::info, "mount_stopped", {{"mount", id}});
}

std::shared_ptr<running_mount> station::find(const std::string& id) const {
    std::lock_guard lock(mutex_);
    auto it = mounts_.find(id);
    return it == mounts_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<running_mount>> station::all() const {
    std::lock_guard lock(mutex_);
    std::vector<std::shared_ptr<running_mount>> out;
    for (const auto& [id, m] : mounts_) out.push_back(m);
    return out;
}

std::shared_ptr<hub> station::find_hub(const std::string& id, const std::string& ext) const {
    auto m = find(id);
    if (!m) return nullptr;
    for (size_t i = 0; i < m->def->outputs.size(); ++i)
        if (m->def->outputs[i].extension == ext) return m->hubs[i];
    return nullptr;
}

std::shared_ptr<hls::hls_segmenter> station::find_hls(const std::string& id, std::string& why) const {
    auto m = find(id);
    if (!m) {
        why = fmt::format("no such mount: '{}'", id);
        return nullptr;
    }
    if (!m->hls)
        why = m->def->hls.enabled
                  ? fmt::format("mount '{}' has no HLS: its segments are MP3, which cannot code its rate of {} Hz "
                                "(HLS needs samplerate = 48000 or less in {})", id, m->def->samplerate,
                                m->def->file.string())
                  : fmt::format("mount '{}' has no HLS: [hls] enabled = false in {}", id, m->def->file.string());
    return m->hls;
}

std::shared_ptr<events::event_hub> station::find_events(const std::string& id) const {
    auto m = find(id);
    return m ? m->events : nullptr;
}

std::shared_ptr<ingest_mount> station::find_ingest(const std::string& id) const {
    auto m = find(id);
    return m ? m->ingest : nullptr;
}

bool station::set_title(const std::string& id, std::string title) {
    auto m = find(id);
    if (!m) return false;
    m->engine->set_title(std::move(title));
    return true;
}

nlohmann::json station::streams_json() const {
    if (set_) return set_->listing();
    return listing_json(config_.streams_dir, {});
}

}  // namespace timeside::server::live
