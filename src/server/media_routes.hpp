// GET|HEAD /media/{id}.{ext}: an item transcoded on demand (wav, flac, ogg, opus, mp3): from the
// disk cache when it was encoded before (Content-Length, ETag, Range), else sent chunked while it
// encodes, the encode shared by every client asking for it meanwhile. Query: preset=NAME,
// start=S, duration=S, and the encoder's own parameters (quality=0.6, bitrate=96...), each
// checked by the one parameter validator.
#pragma once

#include <string>

#include "core/presets.hpp"
#include "server/http/router.hpp"
#include "server/media/disk_cache.hpp"
#include "server/media/library.hpp"
#include "server/media/transcoder.hpp"

namespace timeside::server {

class metrics;

struct media_state {
    const media::library& library;
    const preset_library& presets;
    media::transcoder& transcoder;
    media::disk_cache& cache;
    metrics* counters = nullptr;  // cache hits and misses, when the server keeps metrics
};

void add_media_routes(http::router& routes, media_state& state);

// The item with that id, its file still the one the scan accepted; else a 404 naming it.
const media::media_item& servable_item(const media::library_snapshot& snap, const std::string& id);

// The encoder that writes an extension ("ogg" -> "vorbis_encoder"); empty if none.
std::string encoder_for(const std::string& ext);

}  // namespace timeside::server
