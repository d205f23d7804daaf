// The item's public face: the same keys as `timeside info` (minus the absolute uri, which would
// tell clients where the server keeps its files), plus the id, the file under its folder and its size.
#include "server/media/item.hpp"

#include <nlohmann/json.hpp>

#include "core/utf8.hpp"

namespace timeside::server::media {

nlohmann::json to_json(const media_item& item) {
    nlohmann::json j = {{"id", item.id},
                        {"file", to_valid_utf8(item.relative)},  // a Latin-1 name: U+FFFD for each bad byte
                        {"folder", item.folder},
                        {"size", item.size},
                        {"duration", item.duration >= 0 ? nlohmann::json(item.duration) : nlohmann::json(nullptr)},
                        {"samplerate", item.samplerate},
                        {"channels", item.channels},
                        {"mime", item.mime},
                        {"sha1", item.sha1}};
    if (!item.tags.empty()) j["tags"] = item.tags;  // made valid UTF-8 when read (gst_audio_source)
    return j;
}

}  // namespace timeside::server::media
