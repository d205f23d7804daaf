// Stable item ids (DESIGN.md): a file's path relative to its media folder, without the
// extension (`sweep`, `albums/x/track01`). Where several files share one, the best source keeps
// it — WAV, then FLAC, then the others, then the earlier folder, then the extension's name — and
// each of the others gets `-<ext>` appended (`sweep-mp3`), then `-2`, `-3`... if that is taken too.
// A file name that is not UTF-8 (Latin-1 `caf\xe9.wav`) keeps an addressable id: each byte that
// is not part of valid UTF-8 is written `%XX` (`caf%E9`; in a URL, `caf%25E9`).
#pragma once

#include <string>
#include <vector>

namespace timeside::server::media {

struct id_candidate {
    std::string relative;  // path relative to its folder, '/'-separated: "albums/x/track01.flac"
    size_t folder = 0;     // index of the folder in the configuration (earlier wins a tie)
};

// The id of each candidate, in the same order; the ids are distinct.
std::vector<std::string> assign_ids(const std::vector<id_candidate>& files);

// `text` with every byte that is not part of valid UTF-8 written as %XX (upper-case hex).
std::string escape_invalid_utf8(const std::string& text);

// "albums/x/track01.FLAC" -> {"albums/x/track01", "flac"}; no extension -> {"relative", ""}.
std::pair<std::string, std::string> split_extension(const std::string& relative);

}  // namespace timeside::server::media
