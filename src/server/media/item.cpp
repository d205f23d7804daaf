// The item's public face: the same keys as `timeside info` (minus the absolute uri, which would
// tell clients where the server keeps its files), plus the id, the file under its folder and its size.
#include "server/media/item.hpp"

#include <nlohmann/json.hpp>

namespace timeside::server::media {

nlohmann::json to_json(const media_item& item) {
    nlohmann::json j = {{"id", item.id},
                        {"file", item.relative},
                        {"folder", item.folder},
                        {"size", item.size},
                        {"duration", item.duration >= 0 ? nlohmann::json(item.duration) : nlohmann::json(nullptr)},
                        {"samplerate", item.samplerate},
                        {"channels", item.channels},
                        {"mime", item.mime},
                        {"sha1", item.sha1}};
    if (!item.tags.empty()) j["tags"] = item.tags;
    return j;
}

}  // namespace timeside::server::media
