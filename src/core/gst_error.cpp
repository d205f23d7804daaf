// GStreamer ERROR messages taken apart (see gst_error.hpp).
#include "core/gst_error.hpp"

#include <regex>

#include "core/gst_handles.hpp"

namespace timeside {

gst_error_parts parse_gst_error(GstMessage* msg) {
    GError* raw = nullptr;
    gchar* debug = nullptr;
    gst_message_parse_error(msg, &raw, &debug);
    g_error_ptr err(raw);
    g_string_ptr dbg(debug);
    gst_error_parts parts;
    parts.message = err && err->message ? err->message : "unknown GStreamer error";
    if (!parts.message.empty() && parts.message.back() == '.') parts.message.pop_back();
    if (!err) return parts;
    parts.domain = err->domain;
    parts.code = err->code;
    if (!dbg || err->domain != GST_RESOURCE_ERROR) return parts;
    // The network layer's reason is only in the debug text's last line:
    // "...: File not found (404), URL: http://..., Redirect to: (NULL)".
    std::string d = dbg.get();
    if (const size_t nl = d.find_last_of('\n'); nl != std::string::npos) d = d.substr(nl + 1);
    d = d.substr(0, d.find(", URL:"));
    static const std::regex status(R"(\((\d{3})\)$)");
    if (std::smatch m; std::regex_search(d, m, status)) parts.http_status = std::stoi(m[1].str());
    for (const char* reason : {"Connection refused", "Name or service not known", "timed out", "Could not resolve",
                               "Connection reset"})
        if (d.find(reason) != std::string::npos) {
            parts.reason = reason;
            break;
        }
    if (const size_t colon = d.rfind(": "); colon != std::string::npos) d = d.substr(colon + 2);
    if (d.size() < 200) parts.debug_tail = d;
    return parts;
}

}  // namespace timeside
