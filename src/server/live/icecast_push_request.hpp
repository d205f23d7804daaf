// The bytes a push says to an Icecast server: the source request (PUT with Expect:
// 100-continue, or icecast 2.3's SOURCE), the title update, and the reading of its answers.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "server/live/icecast_push_target.hpp"

namespace timeside::server::live {

// What the source says about its stream (the ice-* headers): from the stream definition and the output.
struct push_stream_info {
    std::string content_type;  // the output's: "audio/mpeg", "audio/ogg"
    std::string name, description, genre, url;
    bool is_public = false;
    int samplerate = 0, channels = 0;
    unsigned bitrate_kbps = 0;  // 0: not said
};

enum class push_method { put, source };

// "PUT /mount HTTP/1.1" (Host, Authorization Basic, Content-Type, Expect: 100-continue, ice-*)
// or "SOURCE /mount HTTP/1.0" with the same headers and no Expect; ends with the empty line.
std::string source_request(const push_target& t, push_method method, const push_stream_info& info);

// GET /admin/metadata?mount=/m&mode=updinfo&song=<percent-encoded> with the same credentials.
std::string metadata_request(const push_target& t, std::string_view title);

// ice-audio-info's value: "bitrate=128;samplerate=44100;channels=2" (bitrate only when known).
std::string ice_audio_info(const push_stream_info& info);

// The status of an answer's first line ("HTTP/1.1 100 Continue" → 100; Icecast 2.3's
// "ICE/1.0 200 OK" too); nullopt when it is not a status line.
std::optional<int> response_status(std::string_view first_line);

// What a refusal means to the station operator: 401 "bad credentials", 403 "mount in use or
// refused", else "refused: <status line>".
std::string refusal_text(int status, std::string_view status_line);

// Whether a refusal of PUT says to try SOURCE: 400, 405, 501 (a server that predates PUT).
bool asks_for_source(int status);

}  // namespace timeside::server::live
