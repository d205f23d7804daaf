// A GStreamer ERROR message taken apart once: its text, domain and code, and what only its debug
// text says (the network layer's reason: an HTTP status, "Connection refused"), for the decoders'
// messages that name what went wrong.
#pragma once

#include <initializer_list>
#include <string>

#include <gst/gst.h>

namespace timeside {

struct gst_error_parts {
    std::string message;      // GError's message, without its final '.'; "unknown GStreamer error" when absent
    GQuark domain = 0;        // 0 when the message carried no GError
    int code = 0;
    int http_status = 0;      // from a resource error's debug text ("Not Found (404), URL: ..."), else 0
    std::string reason;       // a resource error's network reason ("Connection refused"), when known
    std::string debug_tail;   // a resource error's debug text, last line, after its last ": ", up to ", URL:"

    bool stream_error_any_of(std::initializer_list<int> codes) const {
        if (domain != GST_STREAM_ERROR) return false;
        for (int c : codes)
            if (code == c) return true;
        return false;
    }
};

gst_error_parts parse_gst_error(GstMessage* msg);

}  // namespace timeside
