// Small text helpers shared by the parsers of specs, parameter lists, queries and option values.
#pragma once

#include <string_view>
#include <vector>

namespace timeside {

// Splits on every `sep`, keeping empty pieces ("a,,b" gives "a", "", "b"; "" gives one "").
inline std::vector<std::string_view> split(std::string_view text, char sep) {
    std::vector<std::string_view> out;
    size_t pos = 0;
    for (;;) {
        size_t end = text.find(sep, pos);
        if (end == std::string_view::npos) {
            out.push_back(text.substr(pos));
            return out;
        }
        out.push_back(text.substr(pos, end - pos));
        pos = end + 1;
    }
}

}  // namespace timeside
