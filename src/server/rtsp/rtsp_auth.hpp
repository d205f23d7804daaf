// rtsp_auth: gst-rtsp-server's Basic auth with one change: a client refused a path for want of
// credentials gets 401 with the Basic challenge (GstRTSPAuth answers 404, hiding the path, which
// leaves a player no way to ask its user for the password). Open paths admit the default token.
#pragma once

#include <gst/rtsp-server/rtsp-server.h>

namespace timeside::server::rtsp {

// A new auth object (one reference, the caller's): GstRTSPAuth's, with the check above.
GstRTSPAuth* make_rtsp_auth();

}  // namespace timeside::server::rtsp
