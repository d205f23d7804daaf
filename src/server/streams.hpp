// The live stream definitions folder as GET /api/streams lists it before the mounts are wired:
// each streams/*.toml read with live::read_stream_definition (the parser the mounts use), shown
// as the checked definition or the error that names the file, the line and the key. Once the
// server runs a live::mount_set, /api/streams is that set's listing() (with each mount's state).
#pragma once

#include <filesystem>
#include <optional>

#include <nlohmann/json.hpp>

#include "core/presets.hpp"

namespace timeside::server {

class stream_catalog {
public:
    // `presets` resolve the outputs' `preset` keys and must outlive the catalog.
    stream_catalog(std::filesystem::path folder, const preset_library& presets);
    // Until the server passes its own library: the default presets folder (default_presets_dir()).
    explicit stream_catalog(std::filesystem::path folder);

    // Reads the folder now ({"folder", "streams": [{"id", "file", "definition"} or {"id", "file",
    // "error"}], "count"}, sorted by id): a few small files, cheap enough per request, and always
    // current. A missing folder lists nothing.
    nlohmann::json listing() const;
    const std::filesystem::path& folder() const { return folder_; }

private:
    std::filesystem::path folder_;
    std::optional<preset_library> own_presets_;
    const preset_library* presets_;
};

}  // namespace timeside::server
