// GStreamer start-up.
#include "core/gst_handles.hpp"

#include <cstring>
#include <dlfcn.h>
#include <mutex>

namespace timeside {

namespace {
// mpg123audiodec asks GStreamer for a zero-sized buffer on an MPEG-2.5 file's Xing/LAME frame
// (8-12 kHz MP3), which GStreamer reports as a CRITICAL while decoding correctly on. That one
// known message is dropped; every other goes to GLib's default handler as before.
void filter_audio_log(const gchar* domain, GLogLevelFlags level, const gchar* message, gpointer) {
    if (message && std::strstr(message, "gst_audio_decoder_allocate_output_buffer: assertion 'size > 0'")) return;
    g_log_default_handler(domain, level, message, nullptr);
}
}  // namespace

void ensure_gstreamer() {
    static std::once_flag once;
    std::call_once(once, [] {
        // souphttpsrc (GStreamer 1.22) uses the libsoup already loaded in the process, else libsoup 3
        // when it is installed (gstreamer1.0-plugins-bad's dependencies bring it). With libsoup 3 it
        // reports a refused or reset connection only as "Internal data stream error"; with 2.4 it
        // says "Could not establish connection to server (Connection refused)". So libsoup 2.4, which
        // gstreamer1.0-plugins-good installs, is loaded first when present; the handle is kept for
        // the process's life. Without it, libsoup 3 is used and errors are less precise.
        dlopen("libsoup-2.4.so.1", RTLD_NOW | RTLD_GLOBAL | RTLD_NODELETE);
        gst_init(nullptr, nullptr);
        g_log_set_handler("GStreamer-Audio", static_cast<GLogLevelFlags>(G_LOG_LEVEL_CRITICAL), filter_audio_log,
                          nullptr);
        // Prefer decoders that deliver float: mpg123 decodes MP3 to F32 (no clipping of the
        // overshoots lossy coding adds, no 16-bit rounding), where libav's fixed-point avdec_mp3,
        // at the same rank, would be picked first and deliver S16.
        if (GstPluginFeature* f = gst_registry_lookup_feature(gst_registry_get(), "mpg123audiodec")) {
            gst_plugin_feature_set_rank(f, GST_RANK_PRIMARY + 1);
            gst_object_unref(f);
        }
    });
}

}  // namespace timeside
