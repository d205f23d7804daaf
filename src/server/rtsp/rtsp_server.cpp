// The RTSP server's loop, paths and clients. Everything gst-rtsp-server does for us runs on one
// GLib context (no client thread pool: max-threads 0), driven by our thread; other threads reach
// it through idle sources (closing clients) or through gst-rtsp-server's own locked calls
// (mount points, filters for the counts). The medias' pumps run on a second loop of ours.
#include "server/rtsp/rtsp_server.hpp"

#include <functional>
#include <set>

#include <fmt/format.h>

#include "core/errors.hpp"
#include "core/gst_handles.hpp"
#include "server/log.hpp"
#include "server/rtsp/rtsp_auth.hpp"

namespace timeside::server::rtsp {

namespace {

const char* const anonymous_role = "anonymous";
constexpr guint session_cleanup_seconds = 2;

// A closure run once on the RTSP context: what it needs is in it, never the rtsp_server, so a
// closure the stopped loop never ran is only freed.
struct client_sweep {
    GstRTSPServer* server;
    uint64_t serial;  // 0: every client
    GMainLoop* quit = nullptr;  // set: quit this loop afterwards
    ~client_sweep() {
        g_object_unref(server);
        if (quit) g_main_loop_unref(quit);
    }
};

// Walks a client's sessions' medias: `visit(serial)` for each (the serial of the mount it serves,
// 0 for none of ours).
using serial_visitor = std::function<void(uint64_t)>;

GstRTSPFilterResult visit_media(GstRTSPSession*, GstRTSPSessionMedia* sm, gpointer data) {
    (*static_cast<serial_visitor*>(data))(rtsp_mount_media::serial_of(gst_rtsp_session_media_get_media(sm)));
    return GST_RTSP_FILTER_KEEP;
}

GstRTSPFilterResult visit_session(GstRTSPClient*, GstRTSPSession* session, gpointer data) {
    gst_rtsp_session_filter(session, visit_media, data);
    return GST_RTSP_FILTER_KEEP;
}

void for_each_media_serial(GstRTSPClient* client, serial_visitor visit) {
    gst_rtsp_client_session_filter(client, visit_session, &visit);
}

GstRTSPFilterResult close_if_serial(GstRTSPServer*, GstRTSPClient* client, gpointer data) {
    const uint64_t serial = static_cast<client_sweep*>(data)->serial;
    if (serial == 0) return GST_RTSP_FILTER_REMOVE;  // closes it
    bool found = false;
    for_each_media_serial(client, [&](uint64_t s) { found = found || s == serial; });
    return found ? GST_RTSP_FILTER_REMOVE : GST_RTSP_FILTER_KEEP;
}

GstRTSPFilterResult remove_session(GstRTSPSessionPool*, GstRTSPSession*, gpointer) { return GST_RTSP_FILTER_REMOVE; }

gboolean run_sweep(gpointer data) {
    auto* sweep = static_cast<client_sweep*>(data);
    gst_rtsp_server_client_filter(sweep->server, close_if_serial, sweep);
    if (sweep->serial == 0) {
        // Shutdown: the sessions (and with them the medias) go too, not at their timeout.
        GstRTSPSessionPool* pool = gst_rtsp_server_get_session_pool(sweep->server);
        gst_rtsp_session_pool_filter(pool, remove_session, nullptr);
        g_object_unref(pool);
    }
    if (sweep->quit) g_main_loop_quit(sweep->quit);
    return G_SOURCE_REMOVE;
}

gboolean quit_loop(gpointer data) {
    g_main_loop_quit(static_cast<GMainLoop*>(data));
    return G_SOURCE_REMOVE;
}

void free_sweep(gpointer data) { delete static_cast<client_sweep*>(data); }

// Sessions of clients that vanished without a TEARDOWN (UDP) end at their timeout; this reaps them.
gboolean on_cleanup(gpointer data) {
    gst_rtsp_session_pool_cleanup(static_cast<GstRTSPSessionPool*>(data));
    return G_SOURCE_CONTINUE;
}

// Counts each client's medias by the mount serial they carry.
GstRTSPFilterResult count_client(GstRTSPServer*, GstRTSPClient* client, gpointer data) {
    auto* counts = static_cast<std::map<uint64_t, int64_t>*>(data);
    for_each_media_serial(client, [&](uint64_t s) {
        if (s) ++(*counts)[s];
    });
    return GST_RTSP_FILTER_KEEP;
}

}  // namespace

rtsp_server::rtsp_server(const listen_address& listen, int opus_bitrate) : listen_(listen), opus_bitrate_(opus_bitrate) {
    ensure_gstreamer();
    context_ = g_main_context_new();
    loop_ = g_main_loop_new(context_, FALSE);
    pump_context_ = g_main_context_new();
    pump_loop_ = g_main_loop_new(pump_context_, FALSE);
    server_ = gst_rtsp_server_new();
    gst_rtsp_server_set_address(server_, listen_.host.c_str());
    gst_rtsp_server_set_service(server_, std::to_string(listen_.port).c_str());
    GstRTSPThreadPool* pool = gst_rtsp_server_get_thread_pool(server_);
    gst_rtsp_thread_pool_set_max_threads(pool, 0);  // clients on our context, not on threads of their own
    g_object_unref(pool);
    // Every client carries a token: the default one (no credentials) has the anonymous role,
    // which open paths admit; Basic credentials map to the roles of the paths that ask for them.
    auth_ = make_rtsp_auth();
    GstRTSPToken* anonymous = gst_rtsp_token_new(GST_RTSP_TOKEN_MEDIA_FACTORY_ROLE, G_TYPE_STRING, anonymous_role, nullptr);
    gst_rtsp_auth_set_default_token(auth_, anonymous);
    gst_rtsp_token_unref(anonymous);
    gst_rtsp_server_set_auth(server_, auth_);

    GError* error = nullptr;
    server_source_ = gst_rtsp_server_create_source(server_, nullptr, &error);
    if (!server_source_) {
        g_error_ptr owned(error);
        const std::string cause = owned ? owned->message : "unknown error";
        g_object_unref(auth_);
        g_object_unref(server_);
        g_main_loop_unref(loop_);
        g_main_context_unref(context_);
        g_main_loop_unref(pump_loop_);
        g_main_context_unref(pump_context_);
        throw processing_error(fmt::format("RTSP: cannot listen on {} ([rtsp] listen): {}", listen_.to_string(), cause));
    }
    g_source_attach(server_source_, context_);
    port_ = static_cast<uint16_t>(gst_rtsp_server_get_bound_port(server_));
    GstRTSPSessionPool* sessions = gst_rtsp_server_get_session_pool(server_);
    cleanup_source_ = g_timeout_source_new_seconds(session_cleanup_seconds);
    g_source_set_callback(cleanup_source_, on_cleanup, sessions, g_object_unref);
    g_source_attach(cleanup_source_, context_);
}

rtsp_server::~rtsp_server() {
    stop();
    {
        std::lock_guard lock(mutex_);
        GstRTSPMountPoints* points = gst_rtsp_server_get_mount_points(server_);
        for (const auto& [id, m] : mounts_) gst_rtsp_mount_points_remove_factory(points, m->path().c_str());
        g_object_unref(points);
        mounts_.clear();
    }
    g_source_destroy(cleanup_source_);
    g_source_unref(cleanup_source_);
    g_source_destroy(server_source_);
    g_source_unref(server_source_);
    g_object_unref(auth_);
    g_object_unref(server_);
    g_main_loop_unref(loop_);
    g_main_context_unref(context_);
    g_main_loop_unref(pump_loop_);
    g_main_context_unref(pump_context_);  // the pumps' timers still attached go with it
}

void rtsp_server::start() {
    if (thread_.joinable()) return;
    auto run = [](GMainContext* context, GMainLoop* loop) {
        g_main_context_push_thread_default(context);
        g_main_loop_run(loop);
        g_main_context_pop_thread_default(context);
    };
    pump_thread_ = std::thread(run, pump_context_, pump_loop_);
    thread_ = std::thread(run, context_, loop_);
    log(log_level::info, "rtsp_serving", {{"url", fmt::format("rtsp://{}/", listen_address{listen_.host, port_}.to_string())}});
}

void rtsp_server::stop() noexcept {
    if (!thread_.joinable()) return;
    // Closed on the loop's thread, which then quits: the clients hear it before the loop stops.
    auto* sweep = new client_sweep{GST_RTSP_SERVER(g_object_ref(server_)), 0, g_main_loop_ref(loop_)};
    g_main_context_invoke_full(context_, G_PRIORITY_DEFAULT, run_sweep, sweep, free_sweep);
    thread_.join();
    // No media is prepared any more: the pumps may stop.
    g_main_context_invoke_full(pump_context_, G_PRIORITY_DEFAULT, quit_loop, g_main_loop_ref(pump_loop_),
                               reinterpret_cast<GDestroyNotify>(g_main_loop_unref));
    pump_thread_.join();
}

std::string rtsp_server::url(const std::string& id) const {
    return fmt::format("rtsp://{}/live/{}", listen_address{listen_.host, port_}.to_string(), id);
}

std::string rtsp_server::role_for(const rtsp_access& access) {
    if (access.password.empty()) return anonymous_role;
    g_string_ptr basic(gst_rtsp_auth_make_basic(access.user.c_str(), access.password.c_str()));
    auto it = roles_.find(basic.get());
    if (it != roles_.end()) return it->second;
    const std::string role = fmt::format("listener-{}", roles_.size() + 1);
    GstRTSPToken* token = gst_rtsp_token_new(GST_RTSP_TOKEN_MEDIA_FACTORY_ROLE, G_TYPE_STRING, role.c_str(), nullptr);
    gst_rtsp_auth_add_basic(auth_, basic.get(), token);
    gst_rtsp_token_unref(token);
    roles_[basic.get()] = role;
    return role;
}

void rtsp_server::add_mount(const std::string& id, std::shared_ptr<live::audio_feed> feed, const rtsp_access& access) {
    std::unique_ptr<rtsp_mount_media> old;
    {
        std::lock_guard lock(mutex_);
        rtsp_media_settings settings{opus_bitrate_, pump_context_, role_for(access)};
        auto fresh = std::make_unique<rtsp_mount_media>(id, std::move(feed), std::move(settings));
        GstRTSPMountPoints* points = gst_rtsp_server_get_mount_points(server_);
        // Takes a reference; replaces a factory at the same path.
        gst_rtsp_mount_points_add_factory(points, fresh->path().c_str(), GST_RTSP_MEDIA_FACTORY(g_object_ref(fresh->factory())));
        g_object_unref(points);
        auto& slot = mounts_[id];
        old = std::exchange(slot, std::move(fresh));
    }
    if (old) close_clients_of(old->serial());
    log(log_level::info, "rtsp_mount_added", {{"mount", id}, {"url", url(id)}, {"auth", access.password.empty() ? "none" : "basic"}});
}

void rtsp_server::remove_mount(const std::string& id) {
    std::unique_ptr<rtsp_mount_media> old;
    {
        std::lock_guard lock(mutex_);
        auto it = mounts_.find(id);
        if (it == mounts_.end()) return;
        GstRTSPMountPoints* points = gst_rtsp_server_get_mount_points(server_);
        gst_rtsp_mount_points_remove_factory(points, it->second->path().c_str());
        g_object_unref(points);
        old = std::move(it->second);
        mounts_.erase(it);
    }
    close_clients_of(old->serial());
    log(log_level::info, "rtsp_mount_removed", {{"mount", id}});
}

void rtsp_server::close_clients_of(uint64_t serial) {
    auto* sweep = new client_sweep{GST_RTSP_SERVER(g_object_ref(server_)), serial};
    g_main_context_invoke_full(context_, G_PRIORITY_DEFAULT, run_sweep, sweep, free_sweep);
}

std::map<std::string, rtsp_mount_counts> rtsp_server::counts() const {
    std::map<uint64_t, int64_t> by_serial;
    gst_rtsp_server_client_filter(server_, count_client, &by_serial);
    std::map<std::string, rtsp_mount_counts> out;
    std::lock_guard lock(mutex_);
    for (const auto& [id, m] : mounts_) {
        auto it = by_serial.find(m->serial());
        const auto& c = *m->counters();
        out[id] = {it == by_serial.end() ? 0 : it->second, c.medias.load(), c.media_starts.load(), c.dropped_frames.load(),
                   c.resyncs.load()};
    }
    return out;
}

}  // namespace timeside::server::rtsp
