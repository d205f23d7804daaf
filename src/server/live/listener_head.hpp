// The Icecast listener head of a live output: `HTTP/1.0 200 OK` (what Icecast answers 1.0 and 1.1
// clients alike; no Content-Length, the body ends with the connection), the no-cache trio,
// icy-* and ice-audio-info from the stream's settings, icy-metaint when ICY metadata was asked
// for, and CORS exposing every icy-* header. Built once per hub and flag (hub::head).
#pragma once

#include <string>

namespace timeside::server::live {

struct hub_settings;

std::string listener_head(const hub_settings& s, bool icy_metadata);

}  // namespace timeside::server::live
