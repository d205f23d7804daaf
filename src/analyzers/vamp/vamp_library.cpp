// Vamp plugin discovery: folders, library keys, dlopen of each library and its descriptor list.
#include "analyzers/vamp/vamp_library.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>

#include "core/errors.hpp"

namespace timeside::vamp {

namespace {

// Debian's multiarch triplet for the architectures Debian builds Vamp plugins on.
constexpr const char* multiarch_triplet =
#if defined(__x86_64__)
    "x86_64-linux-gnu";
#elif defined(__aarch64__)
    "aarch64-linux-gnu";
#elif defined(__i386__)
    "i386-linux-gnu";
#elif defined(__arm__)
    "arm-linux-gnueabihf";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    "powerpc64le-linux-gnu";
#elif defined(__s390x__)
    "s390x-linux-gnu";
#else
    "";
#endif

// Vamp's own limit on plugins per library is none; this bounds a broken library's loop.
constexpr unsigned max_plugins_per_library = 4096;

}  // namespace

std::vector<std::string> plugin_folders(const char* vamp_path, const char* home) {
    std::vector<std::string> out;
    auto add = [&](std::string f) {
        if (!f.empty() && std::find(out.begin(), out.end(), f) == out.end()) out.push_back(std::move(f));
    };
    if (vamp_path) {
        std::string_view rest = vamp_path;
        while (!rest.empty()) {
            const auto colon = rest.find(':');
            add(std::string(rest.substr(0, colon)));
            rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
        }
    }
    if (home && *home) {
        add(std::string(home) + "/vamp");
        add(std::string(home) + "/.vamp");
    }
    add("/usr/local/lib/vamp");
    add("/usr/lib/vamp");
    if (*multiarch_triplet) add(std::string("/usr/lib/") + multiarch_triplet + "/vamp");
    return out;
}

std::vector<std::string> plugin_folders() { return plugin_folders(std::getenv("VAMP_PATH"), std::getenv("HOME")); }

std::string library_key(std::string_view path) {
    std::string name = std::filesystem::path(path).stem().string();
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    return name;
}

library::library(std::string path) : path_(std::move(path)), key_(library_key(path_)) {
    handle_ = dlopen(path_.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle_) throw processing_error(std::string("cannot open it: ") + dlerror());
    auto get = reinterpret_cast<VampGetPluginDescriptorFunction>(dlsym(handle_, "vampGetPluginDescriptor"));
    if (!get) {
        dlclose(handle_);
        throw processing_error("it has no vampGetPluginDescriptor: not a Vamp plugin library");
    }
    for (unsigned i = 0; i < max_plugins_per_library; ++i) {
        const VampPluginDescriptor* d = get(VAMP_API_VERSION, i);
        if (!d) break;
        descriptors_.push_back(d);
    }
}

// Never dlclose'd while the process runs: plugin instances may outlive their catalog entry.
library::~library() = default;

std::vector<std::shared_ptr<const library>> load_libraries(
    const std::vector<std::string>& folders, const std::function<void(const std::string&, const std::string&)>& on_skip) {
    namespace fs = std::filesystem;
    std::vector<std::shared_ptr<const library>> out;
    std::set<std::string> keys;
    for (const auto& folder : folders) {
        std::error_code ec;
        if (!fs::is_directory(folder, ec)) continue;
        std::vector<std::string> files;
        for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec))
            if (it->path().extension() == ".so") files.push_back(it->path().string());
        std::sort(files.begin(), files.end());
        for (const auto& file : files) {
            if (keys.count(library_key(file))) continue;
            try {
                auto lib = std::make_shared<const library>(file);
                keys.insert(lib->key());
                out.push_back(std::move(lib));
            } catch (const std::exception& e) {
                on_skip(file, e.what());
            }
        }
    }
    return out;
}

}  // namespace timeside::vamp
