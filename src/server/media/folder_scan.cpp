// Only stat()s: probing the files is the library's business, and only for new or changed ones.
#include "server/media/folder_scan.hpp"

#include <sys/stat.h>

namespace timeside::server::media {

namespace fs = std::filesystem;

bool is_inside(const fs::path& path, const fs::path& root) {
    auto p = path.begin();
    for (auto r = root.begin(); r != root.end(); ++r, ++p) {
        if (r->empty()) continue;  // a trailing separator
        if (p == path.end() || *p != *r) return false;
    }
    return p != path.end();  // strictly below the root
}

scan_result scan_folders(const std::vector<fs::path>& folders) {
    scan_result out;
    for (size_t f = 0; f < folders.size(); ++f) {
        std::error_code ec;
        const fs::path root = fs::canonical(folders[f], ec);
        if (ec || !fs::is_directory(root, ec)) continue;
        fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
        for (; !ec && it != end; it.increment(ec)) {
            const fs::directory_entry& entry = *it;
            const std::string name = entry.path().filename().string();
            if (name.empty() || name.front() == '.') {
                if (entry.is_directory(ec)) it.disable_recursion_pending();
                continue;
            }
            if (!entry.is_regular_file(ec)) continue;  // follows a symlink to see what it names
            const std::string relative = entry.path().lexically_relative(root).generic_string();
            fs::path real = entry.is_symlink(ec) ? fs::canonical(entry.path(), ec) : entry.path();
            if (ec || !is_inside(real, root)) {
                out.refused.push_back(folders[f].string() + "/" + relative + ": resolves outside the media folder");
                ec.clear();
                continue;
            }
            struct stat st {};
            if (::stat(real.c_str(), &st) != 0) continue;
            out.files.push_back({real, relative, f, static_cast<uint64_t>(st.st_size),
                                 static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec});
        }
    }
    return out;
}

}  // namespace timeside::server::media
