// File hashing through GLib's GChecksum, read in large sequential chunks.
#include "core/sha1.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include <glib.h>

namespace timeside {

std::string sha1_file(const std::filesystem::path& path, const std::atomic<bool>* stop) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return {};
    std::unique_ptr<GChecksum, decltype(&g_checksum_free)> sum(g_checksum_new(G_CHECKSUM_SHA1), g_checksum_free);
    std::vector<unsigned char> buf(1 << 20);
    bool ok = true;
    for (;;) {
        if (stop && stop->load()) { ok = false; break; }
        ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0) { ok = false; break; }
        if (n == 0) break;
        g_checksum_update(sum.get(), buf.data(), n);
    }
    ::close(fd);
    return ok ? std::string(g_checksum_get_string(sum.get())) : std::string{};
}

}  // namespace timeside
