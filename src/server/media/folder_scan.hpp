// Walks the media folders for candidate files: regular files (or symlinks to files) whose real
// location stays inside their folder; hidden names (".x", our own ".part" temporaries included)
// and anything that resolves outside the folder are left out. Directory symlinks are not followed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace timeside::server::media {

struct scanned_file {
    std::filesystem::path path;  // canonical: symlinks resolved, inside its folder
    std::string relative;        // as found under the folder, '/'-separated
    size_t folder = 0;
    uint64_t size = 0;
    int64_t mtime_ns = 0;
};

struct scan_result {
    std::vector<scanned_file> files;
    std::vector<std::string> refused;  // "FOLDER/REL: resolves outside the media folder"
};

scan_result scan_folders(const std::vector<std::filesystem::path>& folders);

// True when `path` (canonical) lies inside `root` (canonical), component by component.
bool is_inside(const std::filesystem::path& path, const std::filesystem::path& root);

}  // namespace timeside::server::media
