// SPEC parsing shared by the command line and the server's query strings.
#include "core/spec.hpp"

#include <regex>

#include <fmt/format.h>

#include "core/errors.hpp"
#include "core/text.hpp"

namespace timeside {

processor_spec parse_spec(std::string_view text) {
    static const std::regex id_pattern("^[a-z][_a-z0-9-]*$");
    processor_spec spec;
    spec.text = std::string(text);
    auto colon = text.find(':');
    spec.id = std::string(text.substr(0, colon));
    if (!std::regex_match(spec.id, id_pattern))
        throw usage_error(fmt::format("malformed processor spec '{}': expected id or id:name=value,...", text));
    if (colon != std::string_view::npos) spec.parameters = parse_kv_list(text.substr(colon + 1));
    return spec;
}

std::vector<processor_spec> parse_spec_list(std::string_view text) {
    std::vector<std::string> items;
    for (auto piece : split(text, ',')) {
        std::string item(piece);
        bool continues = item.find('=') != std::string::npos && item.find(':') == std::string::npos &&
                         !items.empty() && items.back().find(':') != std::string::npos;
        if (continues) items.back() += "," + item;
        else if (!item.empty()) items.push_back(item);
    }
    std::vector<processor_spec> specs;
    for (const auto& i : items) specs.push_back(parse_spec(i));
    return specs;
}

}  // namespace timeside
