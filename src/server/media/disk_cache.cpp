// Eviction works on the in-memory index under one mutex; file system calls that may be slow
// (open, fstat, utimens) happen outside it. An entry evicted while a client reads it stays
// readable through the client's descriptor until that client is done.
#include "server/media/disk_cache.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <vector>

#include <fmt/format.h>

#include "core/errors.hpp"
#include "core/sha1.hpp"

namespace timeside::server::media {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view temp_prefix = ".tmp-";

bool is_entry_name(const std::string& name) {
    const auto dot = name.find('.');
    if (dot != 40 || name.size() < 42) return false;
    return std::all_of(name.begin(), name.begin() + 40, [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

open_file::~open_file() {
    if (fd_ >= 0) ::close(fd_);
}

std::string cache_key(std::initializer_list<std::string_view> parts) {
    std::string joined;
    for (auto p : parts) {
        // Length-prefixed, so no choice of parts can collide with another by moving a separator.
        joined += std::to_string(p.size());
        joined += ':';
        joined += p;
    }
    return sha1_text(joined);
}

disk_cache::disk_cache(fs::path dir, uint64_t max_bytes) : dir_(std::move(dir)), max_bytes_(max_bytes) {
    if (!enabled()) return;
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec) throw usage_error(fmt::format("cache dir {}: cannot be created: {}", dir_.string(), ec.message()));
    if (::access(dir_.c_str(), W_OK | X_OK) != 0)
        throw usage_error(fmt::format("cache dir {}: not writable by this user", dir_.string()));
    index(true);
}

fs::path disk_cache::path_of(const std::string& name) const { return dir_ / name.substr(0, 2) / name; }

void disk_cache::index(bool remove_temporaries) {
    struct found {
        std::string name;
        uint64_t size;
        int64_t atime_ns;
    };
    std::vector<found> all;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir_, ec)) {
        const std::string name = e.path().filename().string();
        if (name.starts_with(temp_prefix)) {
            if (remove_temporaries) fs::remove(e.path(), ec);  // an output a crash or a kill left half-written
            continue;
        }
        if (name.size() != 2 || !e.is_directory(ec)) continue;
        for (const auto& f : fs::directory_iterator(e.path(), ec)) {
            const std::string fname = f.path().filename().string();
            struct stat st {};
            if (!is_entry_name(fname) || ::stat(f.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
            all.push_back({fname, static_cast<uint64_t>(st.st_size),
                           int64_t(st.st_atim.tv_sec) * 1000000000 + st.st_atim.tv_nsec});
        }
    }
    std::sort(all.begin(), all.end(), [](const found& a, const found& b) { return a.atime_ns > b.atime_ns; });
    std::lock_guard lock(mutex_);
    for (auto& f : all) {
        lru_.push_back(f.name);
        entries_.emplace(f.name, entry{f.name, f.size, std::prev(lru_.end())});
        bytes_ += f.size;
    }
    evict_locked(max_bytes_, {});
}

std::shared_ptr<open_file> disk_cache::find(const std::string& key, const std::string& ext) {
    if (!enabled()) return nullptr;
    const std::string name = key + "." + ext;
    {
        std::lock_guard lock(mutex_);
        auto it = entries_.find(name);
        if (it == entries_.end()) return nullptr;
        lru_.splice(lru_.begin(), lru_, it->second.lru);
    }
    int fd = ::open(path_of(name).c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (fd < 0 || ::fstat(fd, &st) != 0) {
        if (fd >= 0) ::close(fd);
        // Removed behind our back (an operator cleaning the cache): forget it.
        {
            std::lock_guard lock(mutex_);
            if (auto it = entries_.find(name); it != entries_.end()) {
                bytes_ -= it->second.size;
                lru_.erase(it->second.lru);
                entries_.erase(it);
            }
        }
        changed();
        return nullptr;
    }
    // The last use survives a restart in the file's access time (set explicitly: relatime and
    // noatime mounts would not record reads).
    const timespec times[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}};
    ::futimens(fd, times);
    const auto etag = fmt::format("\"{}-{:x}-{:x}\"", key.substr(0, 20), st.st_size,
                                  int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec);
    return std::make_shared<open_file>(fd, static_cast<uint64_t>(st.st_size), etag);
}

void disk_cache::recover() {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec) return;  // the job that wanted a file there says why it could not create one
    {
        std::lock_guard lock(mutex_);
        entries_.clear();
        lru_.clear();
        bytes_ = 0;
    }
    // Jobs running now may have their temporary files in the new folder: those stay.
    index(false);
    changed();
}

fs::path disk_cache::temp_path() {
    std::error_code ec;
    if (!fs::is_directory(dir_, ec)) recover();
    static std::atomic<uint64_t> counter{0};
    static const uint64_t salt = std::random_device{}();
    return dir_ / fmt::format("{}{}-{:x}-{}", temp_prefix, ::getpid(), salt & 0xffffff, counter++);
}

bool disk_cache::commit(const fs::path& temp, const std::string& key, const std::string& ext) {
    std::error_code ec;
    const uint64_t size = fs::file_size(temp, ec);
    if (!enabled() || ec || size > max_bytes_) {
        fs::remove(temp, ec);
        return false;
    }
    const std::string name = key + "." + ext;
    const fs::path final_path = path_of(name);
    fs::create_directories(final_path.parent_path(), ec);
    if (::rename(temp.c_str(), final_path.c_str()) != 0) {
        fs::remove(temp, ec);
        return false;
    }
    std::unique_lock lock(mutex_);
    if (auto it = entries_.find(name); it != entries_.end()) {
        bytes_ -= it->second.size;
        lru_.erase(it->second.lru);
        entries_.erase(it);
    }
    lru_.push_front(name);
    entries_.emplace(name, entry{name, size, lru_.begin()});
    bytes_ += size;
    evict_locked(max_bytes_, name);
    lock.unlock();
    changed();
    return true;
}

void disk_cache::evict_locked(uint64_t max_bytes, const std::string& keep) {
    while (bytes_ > max_bytes && !lru_.empty()) {
        const std::string victim = lru_.back();
        if (victim == keep) break;
        auto it = entries_.find(victim);
        std::error_code ec;
        fs::remove(path_of(victim), ec);
        bytes_ -= it->second.size;
        lru_.pop_back();
        entries_.erase(it);
        ++evictions_;
    }
}

void disk_cache::set_observer(std::function<void(const cache_usage&)> observer) {
    observer_ = std::move(observer);
    changed();
}

void disk_cache::changed() {
    if (observer_) observer_(usage());
}

cache_usage disk_cache::usage() const {
    std::lock_guard lock(mutex_);
    return {bytes_, entries_.size(), max_bytes_, evictions_};
}

}  // namespace timeside::server::media
