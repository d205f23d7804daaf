// Turns what a user typed (a path, a file:// or http(s):// URI) into a URI GStreamer can open,
// and rejects what can never decode (missing, a directory, a device, empty, a truncated WAV)
// with a message naming the input and the cause.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace timeside {

struct resolved_input {
    std::string uri;    // what GStreamer opens
    std::string label;  // what messages and results call it (the user's own spelling)
    std::optional<std::filesystem::path> local_path;
};

// Throws processing_error "<input>: <cause>".
resolved_input resolve_input(const std::string& input);

// For RIFF/WAVE files: the data chunk's declared size must fit in the file. Streamed WAVs that
// leave the size unset (0 or 0xFFFFFFFF) pass. Throws processing_error when truncated.
void check_wav_complete(const std::filesystem::path& path, const std::string& label);

}  // namespace timeside
