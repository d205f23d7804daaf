// RAII for GStreamer and GLib handles, and the one-time GStreamer initialisation.
#pragma once

#include <memory>
#include <string>

#include <gst/gst.h>

namespace timeside {

// Initialises GStreamer once per process (thread-safe); later calls do nothing.
void ensure_gstreamer();

struct gst_object_deleter {
    void operator()(gpointer p) const { if (p) gst_object_unref(p); }
};
template <class T>
using gst_ptr = std::unique_ptr<T, gst_object_deleter>;

struct gst_sample_deleter {
    void operator()(GstSample* s) const { if (s) gst_sample_unref(s); }
};
using gst_sample_ptr = std::unique_ptr<GstSample, gst_sample_deleter>;

struct gst_message_deleter {
    void operator()(GstMessage* m) const { if (m) gst_message_unref(m); }
};
using gst_message_ptr = std::unique_ptr<GstMessage, gst_message_deleter>;

struct gst_caps_deleter {
    void operator()(GstCaps* c) const { if (c) gst_caps_unref(c); }
};
using gst_caps_ptr = std::unique_ptr<GstCaps, gst_caps_deleter>;

struct gst_tags_deleter {
    void operator()(GstTagList* t) const { if (t) gst_tag_list_unref(t); }
};
using gst_tags_ptr = std::unique_ptr<GstTagList, gst_tags_deleter>;

struct g_error_deleter {
    void operator()(GError* e) const { if (e) g_error_free(e); }
};
using g_error_ptr = std::unique_ptr<GError, g_error_deleter>;

struct g_free_deleter {
    void operator()(gpointer p) const { g_free(p); }
};
using g_string_ptr = std::unique_ptr<gchar, g_free_deleter>;

// Maps a buffer for reading for the lifetime of the object.
class gst_buffer_view {
public:
    explicit gst_buffer_view(GstBuffer* b) : buffer_(b) { mapped_ = gst_buffer_map(b, &map_, GST_MAP_READ); }
    ~gst_buffer_view() { if (mapped_) gst_buffer_unmap(buffer_, &map_); }
    gst_buffer_view(const gst_buffer_view&) = delete;
    gst_buffer_view& operator=(const gst_buffer_view&) = delete;
    bool ok() const { return mapped_; }
    const guint8* data() const { return map_.data; }
    gsize size() const { return map_.size; }

private:
    GstBuffer* buffer_;
    GstMapInfo map_{};
    bool mapped_ = false;
};

// Sets a pipeline to NULL before releasing it, as GStreamer requires.
struct gst_pipeline_deleter {
    void operator()(GstElement* e) const {
        if (!e) return;
        gst_element_set_state(e, GST_STATE_NULL);
        gst_object_unref(e);
    }
};
using gst_pipeline_ptr = std::unique_ptr<GstElement, gst_pipeline_deleter>;

}  // namespace timeside
