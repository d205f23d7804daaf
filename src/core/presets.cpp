// Preset files: TOML with `description`, `processor` and a [parameters] table, validated against
// the processor's parameter specs as soon as they are read.
#include "core/presets.hpp"

#include <algorithm>
#include <cstdlib>
#include <regex>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "core/data_dirs.hpp"
#include "core/errors.hpp"
#include "core/parameters_toml.hpp"
#include "core/registry.hpp"

namespace timeside {

namespace {

preset read_preset(const std::filesystem::path& file) {
    const std::string where = file.string();
    toml::table doc;
    try {
        doc = toml::parse_file(file.string());
    } catch (const toml::parse_error& e) {
        throw usage_error(fmt::format("{}:{}: {}", where, e.source().begin.line, e.description()));
    }
    preset p;
    p.name = file.stem().string();
    p.file = file;
    static const std::regex name_pattern("^[a-z0-9][a-z0-9_-]*$");
    if (!std::regex_match(p.name, name_pattern))
        throw usage_error(fmt::format("{}: a preset's file name must be lower-case letters, digits, - and _", where));
    for (const auto& [key, node] : doc) {
        const std::string k(key.str());
        if (k == "description" && node.is_string()) p.description = node.as_string()->get();
        else if (k == "processor" && node.is_string()) p.processor = node.as_string()->get();
        else if (k == "parameters" && node.is_table())
            p.parameters = raw_from_toml(*node.as_table(), where + " [parameters]");
        else
            throw usage_error(fmt::format("{}: unexpected key '{}' (a preset has description, processor "
                                          "and a [parameters] table)", where, k));
    }
    if (p.processor.empty()) throw usage_error(fmt::format("{}: missing key 'processor'", where));
    const processor_info* info = default_registry().find(p.processor);
    if (!info) {
        std::vector<std::string> ids;
        for (const auto* i : default_registry().list()) ids.push_back(i->id);
        throw usage_error(fmt::format("{}: processor '{}' is not a known processor; valid processors: {}", where,
                                      p.processor, fmt::join(ids, ", ")));
    }
    // The validator names the parameter; we add the file.
    try {
        validate_parameters(p.processor, info->parameters, p.parameters);
    } catch (const usage_error& e) {
        throw usage_error(fmt::format("{} [parameters]: {}", where, e.what()));
    }
    return p;
}

}  // namespace

preset_library preset_library::load(const std::filesystem::path& dir) {
    preset_library lib;
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) return lib;
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec))
        if (e.path().extension() == ".toml") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
        preset p = read_preset(f);
        if (default_registry().find(p.name))
            throw usage_error(fmt::format("{}: a preset cannot take the name of processor '{}'", f.string(), p.name));
        lib.presets_.emplace(p.name, std::move(p));
    }
    return lib;
}

const preset* preset_library::find(const std::string& name) const {
    auto it = presets_.find(name);
    return it == presets_.end() ? nullptr : &it->second;
}

processor_spec preset_library::resolve(const processor_spec& spec) const {
    if (default_registry().find(spec.id)) return spec;
    if (const preset* p = find(spec.id)) {
        processor_spec out{p->processor, p->parameters, spec.text};
        // The spec's own parameters come last and win (a name given twice keeps the last value).
        out.parameters.insert(out.parameters.end(), spec.parameters.begin(), spec.parameters.end());
        return out;
    }
    std::vector<std::string> ids;
    for (const auto* i : default_registry().list())
        if (i->kind != processor_kind::decoder) ids.push_back(i->id);
    std::vector<std::string> names;
    for (const auto& [n, p] : presets_) names.push_back(n);
    throw usage_error(fmt::format("unknown processor or preset '{}'; valid processors: {}; presets: {}", spec.id,
                                  fmt::join(ids, ", "), names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "))));
}

std::filesystem::path default_presets_dir(const std::string& explicit_dir) {
    return default_data_dir("presets", "TIMESIDE_PRESETS", explicit_dir);
}

}  // namespace timeside
