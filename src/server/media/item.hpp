// A media library item: a decodable file under a media folder, with what `timeside info` says
// of it (duration, rate, channels, mime, sha1, tags), and its JSON for /api/items.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace timeside::server::media {

struct media_item {
    std::string id;
    std::filesystem::path path;  // canonical, inside its folder
    std::string relative;        // under its folder, as found
    size_t folder = 0;
    std::string ext;             // lower case, no dot
    uint64_t size = 0;
    int64_t mtime_ns = 0;

    double duration = -1;  // seconds, -1 if the source does not say
    int samplerate = 0;
    int channels = 0;
    std::string mime;
    std::string sha1;
    std::map<std::string, std::string> tags;
};

nlohmann::json to_json(const media_item& item);

}  // namespace timeside::server::media
