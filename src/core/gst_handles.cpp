// GStreamer start-up.
#include "core/gst_handles.hpp"

#include <mutex>

namespace timeside {

void ensure_gstreamer() {
    static std::once_flag once;
    std::call_once(once, [] { gst_init(nullptr, nullptr); });
}

}  // namespace timeside
