// The live stream definitions: one TOML file per stream in the streams folder (`--streams`,
// `[live] streams`). For now they are listed, not run: GET /api/streams shows each file's id,
// name and content, or the error that keeps it from parsing. The live mounts will read them.
#pragma once

#include <filesystem>

#include <nlohmann/json.hpp>

namespace timeside::server {

// One definition: {"id", "file", "definition": {...}} or {"id", "file", "error"}, where the
// error names the file, the line and the cause.
nlohmann::json read_stream_definition(const std::filesystem::path& file);

class stream_catalog {
public:
    explicit stream_catalog(std::filesystem::path folder) : folder_(std::move(folder)) {}

    // Reads the folder now ({"folder", "streams": [...], "count"}, sorted by id): a few small
    // files, cheap enough per request, and always current. A missing folder lists nothing.
    nlohmann::json listing() const;
    const std::filesystem::path& folder() const { return folder_; }

private:
    std::filesystem::path folder_;
};

}  // namespace timeside::server
