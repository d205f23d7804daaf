// Id assignment in two passes: every group's best file takes the bare id first, so a suffixed
// id can never take a bare id away from a file that has a right to it (`x-mp3.wav` vs `x.mp3`).
#include "server/media/ids.hpp"

#include <algorithm>
#include <map>
#include <numeric>
#include <set>
#include <tuple>

#include "core/utf8.hpp"

namespace timeside::server::media {

namespace {

int source_rank(const std::string& ext) {
    if (ext == "wav" || ext == "wave") return 0;
    if (ext == "flac") return 1;
    return 2;
}

}  // namespace

std::string escape_invalid_utf8(const std::string& text) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    std::string_view rest = text;
    for (size_t bad; (bad = utf8_invalid_at(rest)) != std::string_view::npos;) {
        const auto byte = static_cast<unsigned char>(rest[bad]);
        out.append(rest.substr(0, bad));
        out += '%';
        out += hex[byte >> 4];
        out += hex[byte & 15];
        rest.remove_prefix(bad + 1);
    }
    out.append(rest);
    return out;
}

std::pair<std::string, std::string> split_extension(const std::string& relative) {
    const size_t slash = relative.rfind('/');
    const size_t name_start = slash == std::string::npos ? 0 : slash + 1;
    const size_t dot = relative.rfind('.');
    // A leading dot is part of the name, not an extension (".hidden").
    if (dot == std::string::npos || dot <= name_start || dot + 1 == relative.size()) return {relative, ""};
    std::string ext = relative.substr(dot + 1);
    for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return {relative.substr(0, dot), ext};
}

std::vector<std::string> assign_ids(const std::vector<id_candidate>& files) {
    struct entry {
        std::string stem, ext;
        size_t index;
    };
    std::vector<entry> entries;
    entries.reserve(files.size());
    for (size_t i = 0; i < files.size(); ++i) {
        auto [stem, ext] = split_extension(escape_invalid_utf8(files[i].relative));
        entries.push_back({std::move(stem), std::move(ext), i});
    }
    auto key = [&](const entry& e) {
        return std::make_tuple(e.stem, source_rank(e.ext), files[e.index].folder, e.ext, files[e.index].relative);
    };
    std::sort(entries.begin(), entries.end(), [&](const entry& a, const entry& b) { return key(a) < key(b); });

    std::vector<std::string> ids(files.size());
    std::set<std::string> taken;
    std::vector<const entry*> others;
    for (size_t k = 0; k < entries.size(); ++k) {
        if (k > 0 && entries[k].stem == entries[k - 1].stem) {
            others.push_back(&entries[k]);
        } else {
            ids[entries[k].index] = entries[k].stem;
            taken.insert(entries[k].stem);
        }
    }
    for (const entry* e : others) {
        const std::string base = e->stem + "-" + (e->ext.empty() ? std::string("file") : e->ext);
        std::string id = base;
        for (int n = 2; taken.count(id); ++n) id = base + "-" + std::to_string(n);
        ids[e->index] = id;
        taken.insert(id);
    }
    return ids;
}

}  // namespace timeside::server::media
