// GStreamer start-up.
#include "core/gst_handles.hpp"

#include <cstring>
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
