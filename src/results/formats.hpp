// The result formats `timeside run --results` (and the server's ?format=) know: their names, file
// extensions and MIME types, which of them read framewise rows from memory, and one entry point
// that writes any of them to a file that appears complete or not at all.
#pragma once

#include <filesystem>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace timeside {

struct result_format {
    std::string_view name;       // as given to --results
    std::string_view extension;  // written to DIR/<stem>.results.<extension>
    std::string_view mime;
    // True when the format reads framewise rows from the results in memory; hdf5 has them
    // streamed into the file, vtt and audacity leave framewise results out.
    bool needs_rows;
};

// json (json), csv (csv), jams (jams), vtt (vtt), audacity (audacity.txt), hdf5 (h5).
std::span<const result_format> result_formats();
const result_format* find_result_format(std::string_view name);
// "json, csv, jams, vtt, audacity, hdf5"
std::string result_format_names();
// "json,csv" -> the formats named, in order, duplicates dropped; an unknown name is a
// usage_error naming the valid ones.
std::vector<const result_format*> parse_result_formats(std::string_view list);

// Text formats only (every one but hdf5).
void write_results(const result_format& f, std::ostream& out, std::span<const analyzer_result> results);
// Any format, to `path` through a temporary file renamed when complete.
void write_results_file(const result_format& f, const std::filesystem::path& path,
                        std::span<const analyzer_result> results);

}  // namespace timeside
