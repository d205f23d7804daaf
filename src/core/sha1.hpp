// SHA-1 of a file, as TimeSide records it in audio_metadata (hex digest).
#pragma once

#include <atomic>
#include <filesystem>
#include <string>
#include <string_view>

namespace timeside {

// Empty string if the file cannot be read or `stop` becomes true while hashing.
std::string sha1_file(const std::filesystem::path& path, const std::atomic<bool>* stop = nullptr);
// SHA-1 of bytes in memory (cache keys), hex.
std::string sha1_text(std::string_view bytes);

}  // namespace timeside
