// dlopen, the entry point's checks, and registration through a staging registrar: a plugin's
// processors reach the registry only once its register function has returned and every id is free.
#include "core/plugin_loader.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>

#include <fmt/format.h>

#include "core/plugin_api.hpp"
#include "core/plugin_dirs.hpp"  // configured by meson
#include "core/registry.hpp"

namespace timeside {

namespace fs = std::filesystem;

namespace {

struct dl_closer {
    void operator()(void* h) const {
        if (h) dlclose(h);
    }
};
using dl_handle = std::unique_ptr<void, dl_closer>;

// Libraries whose processors are registered: never closed (the registry holds their
// processor_info and factories, running processors their code).
std::vector<dl_handle>& kept_libraries() {
    static std::vector<dl_handle> kept;
    return kept;
}

class staging_registrar final : public plugin_registrar {
public:
    void add(const processor_info& info, processor_factory make) override {
        staged_.push_back({&info, std::move(make)});
    }
    struct staged {
        const processor_info* info;
        processor_factory make;
    };
    std::vector<staged> staged_;
};

std::string fingerprint_mismatch(const timeside_plugin_descriptor& d) {
    const char* theirs = d.stdlib ? d.stdlib : "(none)";
    if (std::strcmp(theirs, TIMESIDE_PLUGIN_STDLIB) != 0)
        return fmt::format("it was built with {}, TimeSide with {}; rebuild it against this installation's headers "
                           "with the same compiler family",
                           theirs, TIMESIDE_PLUGIN_STDLIB);
    const uint32_t ours[plugin_layout_count] = TIMESIDE_PLUGIN_LAYOUT;
    for (uint32_t i = 0; i < plugin_layout_count; ++i)
        if (d.layout[i] != ours[i])
            return fmt::format("its sizeof({}) is {}, TimeSide's {}: it was built against other headers or flags; "
                               "rebuild it against this installation's headers",
                               plugin_layout_names[i], d.layout[i], ours[i]);
    return {};
}

// Opens and registers one library; throws std::runtime_error with the cause.
void load_one(registry& r, const fs::path& file) {
    dlerror();
    dl_handle handle(dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL));
    if (!handle) {
        const char* e = dlerror();
        throw std::runtime_error(std::string("cannot open it: ") + (e ? e : "unknown dlopen error"));
    }
    using entry_fn = const timeside_plugin_descriptor* (*)();
    auto entry = reinterpret_cast<entry_fn>(dlsym(handle.get(), "timeside_plugin_entry"));
    if (!entry)
        throw std::runtime_error("it has no timeside_plugin_entry: not a TimeSide plugin (write it with TIMESIDE_PLUGIN)");
    const timeside_plugin_descriptor* d = entry();
    if (!d) throw std::runtime_error("its timeside_plugin_entry returned no descriptor");
    if (d->api_version != TIMESIDE_PLUGIN_API_VERSION)
        throw std::runtime_error(fmt::format("it was built for plugin interface version {}, this TimeSide has version {}",
                                             d->api_version, TIMESIDE_PLUGIN_API_VERSION));
    if (auto why = fingerprint_mismatch(*d); !why.empty()) throw std::runtime_error(why);
    if (!d->register_processors) throw std::runtime_error("its descriptor has no register function");
    {
        // The staged factories are the plugin's code: they go (into the registry, or away)
        // before the handle may be closed.
        staging_registrar staging;
        try {
            d->register_processors(staging);
        } catch (const std::exception& e) {
            throw std::runtime_error(std::string("its registration threw: ") + e.what());
        } catch (...) {
            throw std::runtime_error("its registration threw a non-standard exception");
        }
        if (staging.staged_.empty()) throw std::runtime_error("it registers no processors");
        std::set<std::string, std::less<>> ids;
        for (const auto& s : staging.staged_) {
            if (s.info->kind == processor_kind::decoder)
                throw std::runtime_error(fmt::format("processor '{}' is a decoder; plugins add analyzers, graphers, "
                                                     "encoders and effects",
                                                     s.info->id));
            if (!s.make) throw std::runtime_error(fmt::format("processor '{}' has no factory", s.info->id));
            try {
                r.check_new(*s.info);
            } catch (const std::logic_error& e) {
                throw std::runtime_error(e.what());
            }
            if (!ids.insert(s.info->id).second)
                throw std::runtime_error(fmt::format("it registers processor id '{}' twice", s.info->id));
        }
        const processor_origin origin{processor_origin::kind::plugin, file.string()};
        for (auto& s : staging.staged_) r.add(*s.info, std::move(s.make), origin);
    }
    kept_libraries().push_back(std::move(handle));
}

std::mutex default_folders_mutex;
std::vector<fs::path> default_configured;

}  // namespace

std::vector<fs::path> plugin_folders(const char* plugin_path, const std::vector<fs::path>& configured) {
    std::vector<fs::path> out;
    auto add = [&](const fs::path& p) {
        if (p.empty()) return;
        auto norm = p.lexically_normal();
        if (!norm.has_filename() && norm.has_relative_path()) norm = norm.parent_path();  // "a/b/" is "a/b"
        if (std::find(out.begin(), out.end(), norm) == out.end()) out.push_back(norm);
    };
    if (plugin_path) {
        std::string_view rest(plugin_path);
        while (!rest.empty()) {
            const auto colon = rest.find(':');
            add(fs::path(std::string(rest.substr(0, colon))));
            rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
        }
    }
    for (const auto& c : configured) add(c);
    std::error_code ec;
    if (const auto exe = fs::read_symlink("/proc/self/exe", ec); !ec)
        add(exe.parent_path() / TIMESIDE_RELATIVE_PLUGINS);
    add(TIMESIDE_INSTALLED_PLUGINS);
    return out;
}

std::vector<fs::path> load_plugins(registry& r, const std::vector<fs::path>& folders, const plugin_skip_fn& on_skip) {
    std::vector<fs::path> loaded;
    std::set<fs::path> seen;  // canonical paths: a file reached twice (a folder listed twice, a link) loads once
    for (const auto& folder : folders) {
        std::error_code ec;
        if (!fs::is_directory(folder, ec)) continue;
        std::vector<fs::path> files;
        for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec))
            if (it->path().extension() == ".so" && !it->is_directory(ec)) files.push_back(it->path());
        std::sort(files.begin(), files.end());
        for (const auto& file : files) {
            const auto canonical = fs::weakly_canonical(file, ec);
            if (!seen.insert(ec ? file : canonical).second) continue;
            try {
                load_one(r, file);
                loaded.push_back(file);
            } catch (const std::exception& e) {
                on_skip(file, e.what());
            }
        }
    }
    return loaded;
}

void load_default_plugins(const std::vector<fs::path>& configured) {
    {
        std::lock_guard lock(default_folders_mutex);
        default_configured = configured;
    }
    default_registry();
}

void register_plugins(registry& r) {
    std::vector<fs::path> configured;
    {
        std::lock_guard lock(default_folders_mutex);
        configured = default_configured;
    }
    load_plugins(r, plugin_folders(std::getenv("TIMESIDE_PLUGIN_PATH"), configured),
                 [](const fs::path& file, const std::string& reason) {
                     std::fputs(fmt::format("timeside: plugin {} skipped: {}\n", file.string(), reason).c_str(), stderr);
                 });
}

}  // namespace timeside
