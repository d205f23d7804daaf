// Vamp output keys to TimeSide processor ids.
#include "analyzers/vamp/vamp_ids.hpp"

#include <map>

namespace timeside::vamp {

std::string id_part(std::string_view key) {
    std::string out;
    for (unsigned char c : key) {
        const char l = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        const bool ok = (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9');
        if (ok)
            out += l;
        else if (!out.empty() && out.back() != '_')
            out += '_';
    }
    while (!out.empty() && out.back() == '_') out.pop_back();
    return out;
}

std::vector<std::string> processor_ids(const std::vector<output_key>& keys) {
    auto short_id = [](const output_key& k) { return "vamp_" + id_part(k.plugin) + "_" + id_part(k.output); };
    std::map<std::string, int> uses;
    for (const auto& k : keys) ++uses[short_id(k)];
    std::vector<std::string> ids;
    for (const auto& k : keys) {
        std::string id = short_id(k);
        if (uses[id] > 1) id = "vamp_" + id_part(k.library) + "_" + id_part(k.plugin) + "_" + id_part(k.output);
        ids.push_back(std::move(id));
    }
    return ids;
}

}  // namespace timeside::vamp
