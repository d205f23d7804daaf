// The disk cache of finished outputs (encodings, results, renders): files named by a content key
// (sha1 of the source's sha1 and the settings), under DIR/<2 hex>/<key>.<ext>. Entries arrive by
// rename from a temporary file in DIR, so a file under a final name is always complete; the total
// size stays under a cap by evicting the least recently used; the index is rebuilt from DIR at
// start, so the cache survives restarts (last use is kept in each file's atime), and again when the
// folder disappears under a running server.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <memory>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace timeside::server::media {

// An open cache file: the descriptor keeps its bytes readable even if the entry is evicted
// while a client is still reading it.
class open_file {
public:
    open_file(int fd, uint64_t size, std::string etag) : fd_(fd), size_(size), etag_(std::move(etag)) {}
    ~open_file();
    open_file(const open_file&) = delete;
    open_file& operator=(const open_file&) = delete;
    int fd() const { return fd_; }
    uint64_t size() const { return size_; }
    const std::string& etag() const { return etag_; }  // strong, quoted: "key-size-mtime"

private:
    int fd_;
    uint64_t size_;
    std::string etag_;
};

struct cache_usage {
    uint64_t bytes = 0;
    uint64_t entries = 0;
    uint64_t max_bytes = 0;
    uint64_t evictions = 0;
};

class disk_cache {
public:
    // Creates `dir` if needed, removes temporary files a crash left behind, indexes the entries
    // and evicts down to `max_bytes`. max_bytes 0: no cache (lookups miss, nothing is kept).
    // Throws usage_error when `dir` cannot be created or written.
    disk_cache(std::filesystem::path dir, uint64_t max_bytes);

    bool enabled() const { return max_bytes_ > 0; }
    const std::filesystem::path& dir() const { return dir_; }

    // The entry's file opened for reading and marked as just used; nullopt on a miss.
    std::shared_ptr<open_file> find(const std::string& key, const std::string& ext);

    // A new unique temporary path in DIR for an output being produced (removed by its writer if
    // it is not committed). When DIR is gone (deleted while the server runs), it is made again
    // and the index rebuilt from what is on disk, so the cache recovers by itself.
    std::filesystem::path temp_path();
    // Moves a finished temporary file into the cache under (key, ext), then evicts the least
    // recently used entries beyond the cap (never the one just added unless it alone is too big,
    // in which case it is not kept). Returns false if it was not kept.
    bool commit(const std::filesystem::path& temp, const std::string& key, const std::string& ext);

    cache_usage usage() const;
    // Told the usage after every change (an entry added, evicted or found missing); set it once,
    // before serving.
    void set_observer(std::function<void(const cache_usage&)> observer);

private:
    void changed();
    struct entry {
        std::string name;  // "<key>.<ext>"
        uint64_t size;
        std::list<std::string>::iterator lru;  // position in lru_ (front: most recent)
    };
    std::filesystem::path path_of(const std::string& name) const;
    void evict_locked(uint64_t max_bytes, const std::string& keep);
    void index(bool remove_temporaries);
    void recover();

    const std::filesystem::path dir_;
    const uint64_t max_bytes_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, entry> entries_;
    std::list<std::string> lru_;
    uint64_t bytes_ = 0;
    uint64_t evictions_ = 0;
    std::function<void(const cache_usage&)> observer_;
};

// The content key of an output: hex sha1 of its parts joined (source sha1, processor ids and
// versions, canonical parameters, segment...).
std::string cache_key(std::initializer_list<std::string_view> parts);

}  // namespace timeside::server::media
