// GET|HEAD /media/{id}.{ext}: an item transcoded on demand (wav, flac, ogg, opus, mp3) and sent
// chunked while it encodes. Query: preset=NAME, start=S, duration=S, and the encoder's own
// parameters (quality=0.6, bitrate=96...), each checked by the one parameter validator.
#pragma once

#include <string>

#include "core/presets.hpp"
#include "server/http/router.hpp"
#include "server/media/library.hpp"
#include "server/media/transcoder.hpp"

namespace timeside::server {

struct media_state {
    const media::library& library;
    const preset_library& presets;
    media::transcoder& transcoder;
};

void add_media_routes(http::router& routes, media_state& state);

// The encoder that writes an extension ("ogg" -> "vorbis_encoder"); empty if none.
std::string encoder_for(const std::string& ext);

}  // namespace timeside::server
