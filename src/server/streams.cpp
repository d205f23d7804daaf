// GET /api/streams before the mounts run: the folder read on every request with the mounts' own
// parser, so what is listed as valid here is exactly what a mount_set would start.
#include "server/streams.hpp"

#include <algorithm>

#include "server/live/stream_definition.hpp"

namespace timeside::server {

stream_catalog::stream_catalog(std::filesystem::path folder, const preset_library& presets)
    : folder_(std::move(folder)), presets_(&presets) {}

stream_catalog::stream_catalog(std::filesystem::path folder)
    : folder_(std::move(folder)), own_presets_(preset_library::load(default_presets_dir())), presets_(&*own_presets_) {}

nlohmann::json stream_catalog::listing() const {
    std::vector<std::filesystem::path> files;
    std::error_code ec;
    for (std::filesystem::directory_iterator it(folder_, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code type_ec;
        if (it->path().extension() == ".toml" && it->is_regular_file(type_ec)) files.push_back(it->path());
    }
    std::sort(files.begin(), files.end());
    nlohmann::json streams = nlohmann::json::array();
    for (const auto& f : files) {
        nlohmann::json entry{{"id", f.stem().string()}, {"file", f.string()}};
        try {
            entry["definition"] = live::to_json(live::read_stream_definition(f, *presets_));
        } catch (const std::exception& e) {
            entry["error"] = e.what();
        }
        streams.push_back(std::move(entry));
    }
    return {{"folder", folder_.string()}, {"streams", streams}, {"count", files.size()}};
}

}  // namespace timeside::server
