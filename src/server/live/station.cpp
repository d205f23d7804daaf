// A mount's parts are built in order (hubs, then the engine publishing into them), started, and
// only then put where the routes find them; a replaced mount's new version is running before the
// old one stops, so a bad new version never leaves the id without a mount.
#include "server/live/station.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/errors.hpp"
#include "core/presets.hpp"
#include "server/live/definition_watch.hpp"
#include "server/live/http_input.hpp"
#include "server/live/icecast_push.hpp"
#include "encoders/mp3_frames.hpp"
#include "server/live/hls_segmenter.hpp"
#include "server/live/icecast_status.hpp"
#include "server/live/mount.hpp"
#include "server/live/push_input.hpp"
#include "server/log.hpp"
#include "server/metrics.hpp"
#include "server/rtsp/rtsp_server.hpp"

namespace timeside::server::live {

namespace {

std::string iso8601(std::chrono::system_clock::time_point t) { return icecast_date_iso8601(t); }

// What a source client said about itself, while it is on.
struct source_record {
    source_info info;
    std::shared_ptr<live_input> input;
};

}  // namespace

// The ingest side of one mount: what ingest_session needs, over the engine's mount.
class mount_ingest : public ingest_mount {
public:
    mount_ingest(std::shared_ptr<const stream_definition> def, mount& engine) : def_(std::move(def)), engine_(engine) {}

    std::string source_password() const override { return def_->input.password; }
    audio_format format() const override { return {def_->samplerate, def_->channels}; }
    std::chrono::milliseconds source_timeout() const override { return def_->source_timeout; }

    bool attach_source(std::shared_ptr<live_input> input, const source_info& info) override {
        if (!engine_.attach_source(input)) return false;
        std::lock_guard lock(mutex_);
        source_ = source_record{info, std::move(input)};
        return true;
    }
    // A source that ended its body plays out what it sent: the engine lets go of it once its
    // input reads `ended` (or `failed`: stopped, cut off). Here only its description goes.
    void detach_source(const std::shared_ptr<live_input>& input) override {
        std::lock_guard lock(mutex_);
        if (source_ && source_->input == input) source_.reset();
    }
    std::optional<source_info> source() const {
        std::lock_guard lock(mutex_);
        if (!source_) return std::nullopt;
        return source_->info;
    }
    // The bytes the connected source sent so far (its body, as fed to the decoder); 0 without one.
    uint64_t source_bytes() const {
        std::lock_guard lock(mutex_);
        const auto* pushed = source_ ? dynamic_cast<const push_input*>(source_->input.get()) : nullptr;
        return pushed ? pushed->bytes_fed() : 0;
    }

private:
    std::shared_ptr<const stream_definition> def_;
    mount& engine_;
    mutable std::mutex mutex_;
    std::optional<source_record> source_;
};

struct running_mount {
    std::shared_ptr<const stream_definition> def;
    std::vector<std::shared_ptr<hub>> hubs;  // one per output, in the definition's order
    std::shared_ptr<events::event_hub> events;
    std::unique_ptr<mount> engine;
    std::shared_ptr<mount_ingest> ingest;  // kind icecast only
    // The outputs' pushes to Icecast servers (push = [...]), each with its output's index; they
    // start once the engine runs and stop with the mount (a changed definition restarts them
    // with it, an unchanged one keeps them).
    std::vector<std::shared_ptr<icecast_push>> pushes;
    std::vector<size_t> push_output;
    // HLS, cut from the MP3 output's chunks (null: [hls] enabled = false, or no MP3 output).
    std::shared_ptr<hls_segmenter> hls;

    void start_pushes() {
        const std::string title = engine->title();
        for (auto& p : pushes) {
            if (!title.empty()) p->set_title(title);
            p->start();
        }
    }

    // `why`: what the event subscribers are told before they are closed ("stopped", "restarted",
    // "shutdown"). A replaced mount's subscribers are closed too, as its listeners are: its
    // stream time starts again from 0 and its analyzers may differ, so they come back (1012) to a
    // fresh hello rather than carry on in a timeline that no longer holds.
    void stop(const std::string& why) noexcept {
        for (auto& p : pushes) p->stop();
        if (engine) engine->stop();
        for (auto& h : hubs) h->close_listeners();
        if (events) events->close(why);
    }
};

namespace {

// Each block: the event hub's clock (lag checks), and the mount's listener count as news when it
// changed, at most once a second.
struct listener_news {
    int64_t last_frame = -1;
    int64_t last_count = -1;
};

// A hub's numbers go on from where the previous hub of any mount left them across restarts of
// the mount and of the server: they start at the wall clock in microseconds (a feed never
// publishes a million messages a second), so a Last-Event-ID from before is never taken for one
// of now. Below 2^53: exact in JavaScript.
uint64_t first_seq_now() {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
}

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

uint16_t station::rtsp_port() const { return rtsp_ ? rtsp_->port() : 0; }

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
    std::error_code ec;
    if (std::filesystem::is_directory(config_.streams_dir, ec)) {
        try {
            watch_ = std::make_unique<definition_watch>(config_.streams_dir, [this] { reload(); });
        } catch (const std::exception& e) {
            // SIGHUP still reloads; only the automatic pick-up of edits is lost.
            log(log_level::warn, "streams_watch", {{"folder", config_.streams_dir.string()}, {"error", e.what()}});
        }
    }
}

reload_report station::reload() {
    if (!set_) return {};
    auto report = set_->reload();
    auto ids = [](const std::vector<std::string>& v) { return fmt::format("{}", fmt::join(v, ",")); };
    log(log_level::info, "streams_reloaded",
        {{"added", ids(report.added)}, {"changed", ids(report.changed)}, {"removed", ids(report.removed)},
         {"invalid", ids(report.invalid)}, {"unchanged", std::to_string(report.unchanged)}});
    return report;
}

void station::stop() noexcept {
    watch_.reset();  // no reload may start a mount from here on
    if (rtsp_) rtsp_->stop();  // its clients closed before the mounts' feeds end
    std::map<std::string, std::shared_ptr<running_mount>> gone;
    {
        std::lock_guard lock(mutex_);
        gone.swap(mounts_);
    }
    for (auto& [id, m] : gone) m->stop("shutdown");
}

std::shared_ptr<running_mount> station::build(const stream_definition& def) {
    auto m = std::make_shared<running_mount>();
    m->def = std::make_shared<const stream_definition>(def);
    std::vector<std::shared_ptr<chunk_target>> targets;
    auto mount_budget = std::make_shared<listener_budget>(def.listeners.max);  // max 0: uncapped
    auto make_hls = [&] {
        hls_settings hs;
        hs.mount_id = def.id;
        hs.samplerate = def.samplerate;
        hs.segment_seconds = def.hls.segment_seconds;
        hs.window = def.hls.window;
        hs.first_sequence = hls_first_sequence(def.hls.segment_seconds, std::chrono::system_clock::now());
        return std::make_shared<hls_segmenter>(hs);
    };
    for (const auto& out : def.outputs) {
        m->hubs.push_back(std::make_shared<hub>(hub_settings_for(def, out, budget_, mount_budget)));
        targets.push_back(m->hubs.back());
        // HLS takes the MP3 output's frames as they are encoded: one encode for listeners and HLS.
        if (out.format == "mp3" && def.hls.enabled && !m->hls) {
            m->hls = make_hls();
            targets.back() = std::make_shared<hls_tap>(m->hubs.back(), m->hls);
        }
    }
    // No MP3 output: HLS gets an MP3 lane of its own (CBR, 128 kbit/s at 32 kHz and up),
    // which the engine encodes beside the listeners' outputs. MP3 codes rates up to 48 kHz only.
    stream_definition engine_def = def;
    if (def.hls.enabled && !m->hls && mpeg_version(def.samplerate) != 0) {
        output_definition lane;
        lane.format = lane.extension = "mp3";
        // LAME's CBR ceiling falls with the rate: 320 kbit/s at 32 - 48 kHz, 160 at 16 - 24, 64 at 8 - 12.
        lane.bitrate_kbps = def.samplerate >= 32000 ? 128 : def.samplerate >= 16000 ? 64 : 32;
        lane.encoder_spec = fmt::format("mp3_encoder:mode=cbr,bitrate={}", lane.bitrate_kbps);
        lane.content_type = "audio/mpeg";
        engine_def.outputs.push_back(std::move(lane));
        m->hls = make_hls();
        targets.push_back(m->hls);
    }
    mount_options options;
    // The engine plays files, playlists, signals and pushed sources itself; pulled streams are ours.
    options.make_input = [](const input_definition& in) -> std::shared_ptr<live_input> {
        if (in.type != input_definition::kind::http) return nullptr;
        return std::make_shared<http_input>(http_input_options{.uri = in.uri});
    };
    options.find_feed = [this](const std::string& id) -> std::shared_ptr<audio_feed> {
        auto other = find(id);
        return other && other->engine ? other->engine->feed() : nullptr;
    };
    events::event_hub_settings es;
    es.mount_id = def.id;
    es.samplerate = def.samplerate;
    es.max_subscribers = def.events.max_subscribers;
    es.server = subscriber_budget_;
    es.queue_seconds = def.events.queue_seconds;
    es.resume_seconds = def.events.resume_seconds;
    es.ping_seconds = def.events.ping_seconds;
    es.first_seq = first_seq_now();
    m->events = std::make_shared<events::event_hub>(es);
    for (size_t i = 0; i < def.outputs.size(); ++i) {
        const auto& out = def.outputs[i];
        for (const auto& target : out.push) {
            icecast_push_options po;
            po.target = target;
            po.info = {out.content_type, def.name, def.description, def.genre, def.url, def.is_public,
                       def.samplerate, def.channels, out.bitrate_kbps};
            // Icecast forwards /admin/metadata titles into MP3 (and AAC) streams only (REFERENCE.md).
            po.send_titles = out.format == "mp3";
            m->pushes.push_back(std::make_shared<icecast_push>(network_, m->hubs[i], std::move(po)));
            m->push_output.push_back(i);
        }
    }
    options.on_title = [hubs = m->hubs, pushes = m->pushes, ev = m->events, hls = m->hls,
                        rate = def.samplerate](const std::string& title) {
        for (const auto& h : hubs) h->set_title(title);
        if (hls) hls->set_title(title);
        for (const auto& p : pushes) p->set_title(title);
        ev->publish(events::news{"title", ev->stream_frame(), rate, title, -1});
    };
    options.on_event = [ev = m->events, hls = m->hls](const analysis_event& e) {
        ev->publish(e);
        // Onsets, beats, segments: what a player shows as cues. Framewise values stay in the feed.
        if (hls)
            if (const auto cat = ev->get_catalog(); cat && !cat->decimated(e)) hls->add_event(e);
    };
    options.on_news = [ev = m->events, rate = def.samplerate](const mount_news& n) {
        ev->publish(events::news{n.what, n.frame, rate, n.text, -1});
    };
    // The mount's own listener hubs are reached through a weak pointer: the engine's callback
    // must not keep the running_mount alive.
    options.on_block = [ev = m->events, weak = std::weak_ptr<running_mount>(m), rate = def.samplerate,
                        state = std::make_shared<listener_news>()](int64_t end_frame) {
        ev->tick(end_frame);
        if (state->last_frame >= 0 && end_frame - state->last_frame < rate) return;
        auto self = weak.lock();
        if (!self) return;
        int64_t count = 0;
        for (const auto& h : self->hubs) count += static_cast<int64_t>(h->counters().listeners);
        state->last_frame = end_frame;
        if (count == state->last_count) return;
        state->last_count = count;
        ev->publish(events::news{"listeners", end_frame, rate, {}, count});
    };
    m->engine = std::make_unique<mount>(std::move(engine_def), std::move(targets), std::move(options));
    if (def.input.type == input_definition::kind::icecast) m->ingest = std::make_shared<mount_ingest>(m->def, *m->engine);
    return m;
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

std::shared_ptr<hls_segmenter> station::find_hls(const std::string& id, std::string& why) const {
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

namespace {
nlohmann::json events_status(const running_mount& m) {
    const auto c = m.events->counters();
    return {{"url", "/events/" + m.def->id},
            {"subscribers", c.subscribers},
            {"subscriber_peak", c.subscriber_peak},
            {"connects", c.connects},
            {"refused", c.refused},
            {"slow_closes", c.slow_closes},
            {"messages", c.messages},
            {"delivered", c.delivered},
            {"dropped", c.dropped}};
}
nlohmann::json hls_status(const running_mount& m) {
    if (!m.hls) return nullptr;
    const auto c = m.hls->counters();
    return {{"url", "/live/" + m.def->id + "/index.m3u8"},
            {"segment_seconds", m.hls->settings().segment_seconds},
            {"window", m.hls->settings().window},
            {"target_duration", m.hls->target_duration()},
            {"segments", c.segments},
            {"sequence", c.sequence},
            {"events", c.events},
            {"events_dropped", c.events_dropped},
            {"playlist_requests", c.playlist_requests},
            {"segment_requests", c.segment_requests},
            {"not_found", c.not_found},
            {"latency", c.last_latency}};
}
}  // namespace

namespace {

// A mount's source as /api/status and the admin's mount page show it: connected, since when, its
// input, and an ingest mount's client (peer, user agent, content type, stream name...).
nlohmann::json source_json(const running_mount& m, const mount_status& st) {
    nlohmann::json source{{"connected", st.source_connected}, {"input", st.source}, {"last_error", st.last_error},
                          {"connects", st.source_connects}};
    if (st.source_connected) source["since"] = iso8601(st.source_since);
    if (m.ingest)
        if (auto info = m.ingest->source()) {
            source["client"] = {{"method", info->method}, {"peer", info->peer}, {"user_agent", info->user_agent},
                                {"content_type", info->content_type}, {"name", info->name},
                                {"description", info->description}, {"genre", info->genre}, {"url", info->url},
                                {"audio_info", info->audio_info}, {"bytes", m.ingest->source_bytes()}};
        }
    return source;
}

}  // namespace

nlohmann::json station::status_json() const {
    nlohmann::json mounts = nlohmann::json::array();
    uint64_t listeners = 0;
    int64_t rtsp_clients = 0;
    const auto rtsp_counts = rtsp_ ? rtsp_->counts() : std::map<std::string, rtsp::rtsp_mount_counts>{};
    for (const auto& m : all()) {
        const auto st = m->engine->status();
        nlohmann::json outputs = nlohmann::json::array();
        uint64_t mount_listeners = 0, peak = 0, slow = 0, bytes = 0;
        for (size_t i = 0; i < m->hubs.size(); ++i) {
            const auto& out = m->def->outputs[i];
            const auto c = m->hubs[i]->counters();
            mount_listeners += c.listeners;
            peak += c.listener_peak;
            slow += c.slow_listeners;
            bytes += c.bytes_sent;
            nlohmann::json pushes = nlohmann::json::array();
            for (size_t k = 0; k < m->pushes.size(); ++k) {
                if (m->push_output[k] != i) continue;
                const auto p = m->pushes[k]->status();
                pushes.push_back({{"url", p.url}, {"state", p.state}, {"method", p.method}, {"since", iso8601(p.since)},
                                  {"bytes_sent", p.bytes}, {"reconnects", p.reconnects},
                                  {"dropped_behind", p.dropped_behind}, {"last_error", p.last_error},
                                  {"titles_sent", p.titles_sent}, {"title_error", p.title_error}});
            }
            outputs.push_back({{"url", m->hubs[i]->settings().mount},
                               {"push", pushes},
                               {"format", out.format},
                               {"content_type", out.content_type},
                               {"encoder", out.encoder_spec},
                               {"bitrate", out.bitrate_kbps},
                               {"listeners", c.listeners},
                               {"listener_peak", c.listener_peak},
                               {"slow_listeners", c.slow_listeners},
                               {"connects", c.connects},
                               {"refused", c.refused},
                               {"bytes_sent", c.bytes_sent}});
        }
        listeners += mount_listeners;
        const nlohmann::json source = source_json(*m, st);
        mounts.push_back({{"id", m->def->id},
                          {"name", m->def->name},
                          {"state", st.running ? "running" : "failed"},
                          {"failure", st.failure},
                          {"stream_start", iso8601(st.stream_start)},
                          {"stream_seconds", st.samplerate ? static_cast<double>(st.stream_frames) / st.samplerate : 0.0},
                          {"samplerate", st.samplerate},
                          {"channels", st.channels},
                          {"title", st.title},
                          {"listeners", mount_listeners},
                          {"listener_peak", peak},
                          {"slow_listeners", slow},
                          {"bytes_sent", bytes},
                          {"source", source},
                          {"fallback_active", st.fallback_active},
                          {"fallback_seconds", st.fallback_seconds},
                          {"filled_frames", st.filled_frames},
                          {"trimmed_frames", st.trimmed_frames},
                          {"skipped_analysis_blocks", st.skipped_analysis_blocks},
                          {"outputs", outputs},
                          {"events", events_status(*m)},
                          {"hls", hls_status(*m)}});
        if (auto it = rtsp_counts.find(m->def->id); it != rtsp_counts.end()) {
            rtsp_clients += it->second.clients;
            mounts.back()["rtsp"] = {{"url", rtsp_->url(m->def->id)},
                                     {"auth", m->def->rtsp.password.empty() ? "none" : "basic"},
                                     {"clients", it->second.clients},
                                     {"medias", it->second.medias},
                                     {"media_starts", it->second.media_starts}};
        }
    }
    return {{"mounts", mounts},
            {"listeners", listeners},
            {"max_listeners", budget_->max},
            {"server_listeners", budget_->listeners.load()},
            {"subscribers", subscriber_budget_->subscribers.load()},
            {"max_subscribers", subscriber_budget_->max},
            {"rtsp", rtsp_ ? nlohmann::json{{"port", rtsp_->port()}, {"clients", rtsp_clients}} : nlohmann::json(nullptr)}};
}

std::optional<nlohmann::json> station::admin_mount_json(const std::string& id) const {
    auto m = find(id);
    if (!m) return std::nullopt;
    const auto st = m->engine->status();
    const auto now = std::chrono::steady_clock::now();
    nlohmann::json listeners = nlohmann::json::array();
    for (size_t i = 0; i < m->hubs.size(); ++i)
        for (const auto& l : m->hubs[i]->listeners())
            listeners.push_back({{"output", m->hubs[i]->settings().mount},
                                 {"format", m->def->outputs[i].format},
                                 {"peer", l.peer},
                                 {"user_agent", l.user_agent},
                                 {"sid", l.sid},
                                 {"icy_metadata", l.icy_metadata},
                                 {"connected_seconds", std::chrono::duration<double>(now - l.since).count()},
                                 {"bytes_sent", l.bytes}});
    nlohmann::json outputs = nlohmann::json::array();
    for (size_t i = 0; i < m->hubs.size(); ++i)
        outputs.push_back({{"url", m->hubs[i]->settings().mount}, {"format", m->def->outputs[i].format},
                           {"content_type", m->def->outputs[i].content_type}});
    return nlohmann::json{{"id", m->def->id},
                          {"name", m->def->name},
                          {"state", st.running ? "running" : "failed"},
                          {"title", st.title},
                          {"samplerate", st.samplerate},
                          {"channels", st.channels},
                          {"source", source_json(*m, st)},
                          {"outputs", outputs},
                          {"count", listeners.size()},
                          {"listeners", listeners}};
}

nlohmann::json station::admin_mounts_json() const {
    nlohmann::json mounts = nlohmann::json::array();
    for (const auto& m : all())
        if (auto j = admin_mount_json(m->def->id)) mounts.push_back(std::move(*j));
    return {{"mounts", mounts}, {"count", mounts.size()}};
}

nlohmann::json station::reload_json(const reload_report& report) const {
    auto has = [](const std::vector<std::string>& v, const std::string& id) {
        return std::find(v.begin(), v.end(), id) != v.end();
    };
    nlohmann::json files = nlohmann::json::array();
    if (set_)
        for (const auto& e : set_->snapshot()) {
            nlohmann::json f{{"id", e.id}, {"file", e.file.filename().string()}};
            if (!e.error.empty()) {
                f["result"] = "error";
                f["error"] = e.error;
                f["running"] = e.definition ? "previous version" : "nothing";
            } else if (has(report.added, e.id) || has(report.changed, e.id)) {
                f["result"] = "loaded";
                f["change"] = has(report.added, e.id) ? "added" : "changed";
            } else {
                f["result"] = "unchanged";
            }
            files.push_back(std::move(f));
        }
    for (const auto& id : report.removed) files.push_back({{"id", id}, {"file", id + ".toml"}, {"result", "removed"}});
    return {{"folder", config_.streams_dir.string()},
            {"files", files},
            {"added", report.added},
            {"changed", report.changed},
            {"removed", report.removed},
            {"invalid", report.invalid},
            {"unchanged", report.unchanged}};
}

std::string station::icecast_status_json(const std::string& host, unsigned port) const {
    icecast_server_info server;
    server.host = host;
    server.port = port;
    server.server_id = "TimeSide " TIMESIDE_VERSION;
    server.server_start = started_;
    std::vector<icecast_source_info> sources;
    for (const auto& m : all()) {
        const auto st = m->engine->status();
        for (size_t i = 0; i < m->hubs.size(); ++i) {
            auto s = icecast_source_for(*m->def, m->def->outputs[i]);
            const auto c = m->hubs[i]->counters();
            s.listeners = static_cast<unsigned>(c.listeners);
            s.listener_peak = static_cast<unsigned>(c.listener_peak);
            s.title = st.title;
            s.stream_start = st.stream_start;
            sources.push_back(std::move(s));
        }
    }
    return render_icecast_status(server, sources);
}

void station::render_metrics(std::string& out) const {
    const auto mounts = all();
    auto family = [&](const char* name, const char* type, const char* help, auto value) {
        out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
        for (const auto& m : mounts) value(*m);
    };
    auto per_output = [&](const char* name, const char* type, const char* help, auto field) {
        family(name, type, help, [&](const running_mount& m) {
            for (size_t i = 0; i < m.hubs.size(); ++i)
                out += fmt::format("{}{{mount=\"{}\",output=\"{}\"}} {}\n", name, escape_label_value(m.def->id),
                                   escape_label_value(m.def->outputs[i].extension), field(m.hubs[i]->counters()));
        });
    };
    auto per_mount = [&](const char* name, const char* type, const char* help, auto field) {
        family(name, type, help, [&](const running_mount& m) {
            out += fmt::format("{}{{mount=\"{}\"}} {}\n", name, escape_label_value(m.def->id), field(m.engine->status()));
        });
    };
    per_output("timeside_live_listeners", "gauge", "Listeners connected to a live output.",
               [](const hub_counters& c) { return c.listeners; });
    per_output("timeside_live_listener_peak", "gauge", "Most listeners a live output had at once.",
               [](const hub_counters& c) { return c.listener_peak; });
    per_output("timeside_live_listener_connects_total", "counter", "Listeners admitted to a live output.",
               [](const hub_counters& c) { return c.connects; });
    per_output("timeside_live_listeners_refused_total", "counter", "Listeners refused (503) by a cap.",
               [](const hub_counters& c) { return c.refused; });
    per_output("timeside_live_slow_listeners_total", "counter", "Listeners dropped for falling behind the queue.",
               [](const hub_counters& c) { return c.slow_listeners; });
    per_output("timeside_live_sent_bytes_total", "counter", "Bytes sent to a live output's listeners.",
               [](const hub_counters& c) { return c.bytes_sent; });
    auto per_push = [&](const char* name, const char* type, const char* help, auto field) {
        family(name, type, help, [&](const running_mount& m) {
            for (size_t k = 0; k < m.pushes.size(); ++k) {
                const auto p = m.pushes[k]->status();
                out += fmt::format("{}{{mount=\"{}\",output=\"{}\",push=\"{}\"}} {}\n", name, escape_label_value(m.def->id),
                                   escape_label_value(m.def->outputs[m.push_output[k]].extension), escape_label_value(p.url),
                                   field(p));
            }
        });
    };
    per_push("timeside_live_push_connected", "gauge", "1 while an output's push to an Icecast server streams.",
             [](const push_status& p) { return p.state == "connected" ? 1 : 0; });
    per_push("timeside_live_push_sent_bytes_total", "counter", "Bytes an output's push wrote to its Icecast server.",
             [](const push_status& p) { return p.bytes; });
    per_push("timeside_live_push_reconnects_total", "counter", "Times a push failed or dropped and tried again.",
             [](const push_status& p) { return p.reconnects; });
    per_push("timeside_live_push_dropped_behind_total", "counter", "Push connections dropped for falling behind.",
             [](const push_status& p) { return p.dropped_behind; });
    per_mount("timeside_live_source_connected", "gauge", "1 while a source client pushes to the mount.",
              [](const mount_status& s) { return s.source_connected ? 1 : 0; });
    per_mount("timeside_live_source_connects_total", "counter", "Source clients attached to the mount.",
              [](const mount_status& s) { return s.source_connects; });
    per_mount("timeside_live_fallback_active", "gauge", "1 while the mount plays its fallback.",
              [](const mount_status& s) { return s.fallback_active ? 1 : 0; });
    per_mount("timeside_live_fallback_seconds_total", "counter", "Seconds of audio the fallback filled in.",
              [](const mount_status& s) { return s.fallback_seconds; });
    per_mount("timeside_live_filled_frames_total", "counter", "Frames filled because the input was late or gone.",
              [](const mount_status& s) { return s.filled_frames; });
    per_mount("timeside_live_trimmed_frames_total", "counter", "Frames of a source's audio dropped for running ahead.",
              [](const mount_status& s) { return s.trimmed_frames; });
    per_mount("timeside_live_skipped_analysis_blocks_total", "counter", "Blocks the analysis lane skipped to keep up.",
              [](const mount_status& s) { return s.skipped_analysis_blocks; });
    auto per_events = [&](const char* name, const char* type, const char* help, auto field) {
        family(name, type, help, [&](const running_mount& m) {
            out += fmt::format("{}{{mount=\"{}\"}} {}\n", name, escape_label_value(m.def->id), field(m.events->counters()));
        });
    };
    using events::event_counters;
    per_events("timeside_events_subscribers", "gauge", "Event subscribers (WebSocket and SSE) of a mount.",
               [](const event_counters& c) { return c.subscribers; });
    per_events("timeside_events_subscriber_connects_total", "counter", "Event subscribers admitted to a mount's feed.",
               [](const event_counters& c) { return c.connects; });
    per_events("timeside_events_refused_total", "counter", "Event subscribers refused (503) by a cap.",
               [](const event_counters& c) { return c.refused; });
    per_events("timeside_events_messages_total", "counter", "Messages published into a mount's feed (each serialized once).",
               [](const event_counters& c) { return c.messages; });
    per_events("timeside_events_delivered_total", "counter", "Feed messages written to subscribers (one per subscriber).",
               [](const event_counters& c) { return c.delivered; });
    per_events("timeside_events_dropped_total", "counter", "Framewise messages not sent to subscribers decimated for lagging.",
               [](const event_counters& c) { return c.dropped; });
    per_events("timeside_events_slow_closes_total", "counter", "Subscribers closed (1008) for falling too far behind.",
               [](const event_counters& c) { return c.slow_closes; });
    family("timeside_events_delivery_seconds", "histogram",
           "From the end of an analysis (or news) to its message written to a subscriber.", [&](const running_mount& m) {
               const auto c = m.events->counters();
               const std::string mount = escape_label_value(m.def->id);
               uint64_t cumulative = 0;
               for (size_t i = 0; i < c.latency.size(); ++i) {
                   cumulative += c.latency[i];
                   const std::string le = i < events::latency_buckets.size() ? fmt::format("{}", events::latency_buckets[i]) : "+Inf";
                   out += fmt::format("timeside_events_delivery_seconds_bucket{{mount=\"{}\",le=\"{}\"}} {}\n", mount, le, cumulative);
               }
               out += fmt::format("timeside_events_delivery_seconds_sum{{mount=\"{}\"}} {}\n", mount, c.latency_sum);
               out += fmt::format("timeside_events_delivery_seconds_count{{mount=\"{}\"}} {}\n", mount, cumulative);
           });
    const auto rtsp_counts = rtsp_ ? rtsp_->counts() : std::map<std::string, rtsp::rtsp_mount_counts>{};
    auto per_rtsp = [&](const char* name, const char* type, const char* help, auto field) {
        family(name, type, help, [&](const running_mount& m) {
            if (auto it = rtsp_counts.find(m.def->id); it != rtsp_counts.end())
                out += fmt::format("{}{{mount=\"{}\"}} {}\n", name, escape_label_value(m.def->id), field(it->second));
        });
    };
    per_rtsp("timeside_rtsp_clients", "gauge", "RTSP sessions on a mount's path.",
             [](const rtsp::rtsp_mount_counts& c) { return c.clients; });
    per_rtsp("timeside_rtsp_medias", "gauge", "RTSP media pipelines running for a mount (shared by its clients).",
             [](const rtsp::rtsp_mount_counts& c) { return c.medias; });
    per_rtsp("timeside_rtsp_media_starts_total", "counter", "RTSP media pipelines built for a mount.",
             [](const rtsp::rtsp_mount_counts& c) { return c.media_starts; });
    per_mount("timeside_live_stream_seconds", "gauge", "Stream time of the mount (seconds since it started).",
              [](const mount_status& s) { return s.samplerate ? static_cast<double>(s.stream_frames) / s.samplerate : 0.0; });
    auto per_hls = [&](const char* name, const char* type, const char* help, auto field) {
        family(name, type, help, [&](const running_mount& m) {
            if (m.hls)
                out += fmt::format("{}{{mount=\"{}\"}} {}\n", name, escape_label_value(m.def->id), field(m.hls->counters()));
        });
    };
    per_hls("timeside_live_hls_segments_total", "counter", "HLS segments published by a mount.",
            [](const hls_counters& c) { return c.segments; });
    per_hls("timeside_live_hls_playlist_requests_total", "counter", "Requests of a mount's HLS playlist.",
            [](const hls_counters& c) { return c.playlist_requests; });
    per_hls("timeside_live_hls_segment_requests_total", "counter", "Requests of a mount's HLS segments (served).",
            [](const hls_counters& c) { return c.segment_requests; });
    per_hls("timeside_live_hls_not_found_total", "counter", "HLS segment requests answered 404 (evicted or unknown).",
            [](const hls_counters& c) { return c.not_found; });
    per_hls("timeside_live_hls_events_total", "counter", "Analysis events put in HLS segments' ID3 tags.",
            [](const hls_counters& c) { return c.events; });
    per_hls("timeside_live_hls_events_dropped_total", "counter", "Analysis events over a segment's bound, not carried.",
            [](const hls_counters& c) { return c.events_dropped; });
    per_hls("timeside_live_hls_publish_latency_seconds", "gauge",
            "Newest HLS segment: from its first sample's wall-clock time to its publication.",
            [](const hls_counters& c) { return c.last_latency; });
}

}  // namespace timeside::server::live
