// UTF-8 checks for every string that comes from outside (URLs, headers, file names, tags, config
// values) before it reaches JSON (nlohmann throws on invalid UTF-8) or a log line. One definition
// of "valid" for the whole program: RFC 3629 (no overlongs, no surrogates, nothing above U+10FFFF).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace timeside {

// The offset of the first byte that does not start a valid UTF-8 sequence; npos when all is valid.
size_t utf8_invalid_at(std::string_view text);

inline bool is_valid_utf8(std::string_view text) { return utf8_invalid_at(text) == std::string_view::npos; }

// `text` with each invalid byte replaced by U+FFFD (valid text is returned unchanged).
std::string to_valid_utf8(std::string_view text);

// How an error names a refused string: "byte 0xff at offset 3".
std::string describe_invalid_utf8(std::string_view text);

}  // namespace timeside
