// Stream definitions parsed with toml++ and handed out as JSON (TOML's tables, arrays and
// scalars map one to one; dates and times become their TOML text).
#include "server/streams.hpp"

#include <algorithm>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

namespace timeside::server {

namespace {

nlohmann::json to_json(const toml::node& node) {
    if (const auto* t = node.as_table()) {
        nlohmann::json out = nlohmann::json::object();
        for (const auto& [key, value] : *t) out[std::string(key.str())] = to_json(value);
        return out;
    }
    if (const auto* a = node.as_array()) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& value : *a) out.push_back(to_json(value));
        return out;
    }
    if (const auto* s = node.as_string()) return s->get();
    if (const auto* i = node.as_integer()) return i->get();
    if (const auto* f = node.as_floating_point()) return f->get();
    if (const auto* b = node.as_boolean()) return b->get();
    std::ostringstream text;  // date, time, date-time
    node.visit([&](const auto& v) { text << v; });
    return text.str();
}

}  // namespace

nlohmann::json read_stream_definition(const std::filesystem::path& file) {
    nlohmann::json entry{{"id", file.stem().string()}, {"file", file.string()}};
    try {
        entry["definition"] = to_json(toml::parse_file(file.string()));
    } catch (const toml::parse_error& e) {
        entry["error"] = fmt::format("{}:{}: {}", file.string(), e.source().begin.line, e.description());
    } catch (const std::exception& e) {
        entry["error"] = fmt::format("{}: {}", file.string(), e.what());
    }
    return entry;
}

nlohmann::json stream_catalog::listing() const {
    std::vector<std::filesystem::path> files;
    std::error_code ec;
    for (std::filesystem::directory_iterator it(folder_, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code type_ec;
        if (it->path().extension() == ".toml" && it->is_regular_file(type_ec)) files.push_back(it->path());
    }
    std::sort(files.begin(), files.end());
    nlohmann::json streams = nlohmann::json::array();
    for (const auto& f : files) streams.push_back(read_stream_definition(f));
    return {{"folder", folder_.string()}, {"streams", streams}, {"count", files.size()}};
}

}  // namespace timeside::server
