// The build defines where presets/ lives in the source tree, the install prefix and relative to
// the installed binary; the other data folders are its siblings in each of those places.
#include "core/data_dirs.hpp"

#include <cstdlib>

namespace timeside {

namespace fs = std::filesystem;

fs::path default_data_dir(const std::string& name, const char* env, const std::string& explicit_dir) {
    if (!explicit_dir.empty()) return explicit_dir;
    if (const char* v = std::getenv(env); v && *v) return v;
    std::error_code ec;
    const auto exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        const auto installed = (exe.parent_path() / fs::path(TIMESIDE_RELATIVE_PRESETS).parent_path() / name).lexically_normal();
        if (fs::is_directory(installed, ec)) return installed;
    }
    const auto source = fs::path(TIMESIDE_SOURCE_PRESETS).parent_path() / name;
    if (fs::is_directory(source, ec)) return source;
    return fs::path(TIMESIDE_INSTALLED_PRESETS).parent_path() / name;
}

}  // namespace timeside
