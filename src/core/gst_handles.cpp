// GStreamer start-up.
#include "core/gst_handles.hpp"

#include <mutex>

namespace timeside {

void ensure_gstreamer() {
    static std::once_flag once;
    std::call_once(once, [] {
        gst_init(nullptr, nullptr);
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
