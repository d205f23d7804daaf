// The media library: every decodable file under the configured folders, by id. A thread of its
// own rescans the folders on a timer (a stat() walk), probes only new or changed files through
// GStreamer, and publishes an immutable snapshot that request handlers read without waiting.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "server/media/folder_scan.hpp"
#include "server/media/item.hpp"

namespace timeside {
class gst_audio_source;
}

namespace timeside::server::media {

struct library_snapshot {
    std::vector<media_item> items;  // sorted by id
    std::unordered_map<std::string, size_t> by_id;
    std::string listing_json;  // GET /api/items, serialized once per change
    uint64_t generation = 0;   // bumps on every change
    bool scanned = false;      // the first full scan is done

    const media_item* find(const std::string& id) const;
};

class library {
public:
    library(std::vector<std::filesystem::path> folders, std::chrono::milliseconds rescan_interval);
    ~library();
    library(const library&) = delete;
    library& operator=(const library&) = delete;

    void start();  // the scanning thread: a first scan at once, then one per interval
    void stop();   // cancels a probe in progress and joins; also done by the destructor
    void scan_once();  // one synchronous scan (start() not needed)

    std::shared_ptr<const library_snapshot> snapshot() const;
    const std::vector<std::filesystem::path>& folders() const { return folders_; }

private:
    struct probed {  // what a file was when probed; a changed size or mtime probes it again
        uint64_t size = 0;
        int64_t mtime_ns = 0;
        bool ok = false;
        media_item item;
    };
    void run();
    bool probe(const scanned_file& file, media_item& item);
    void publish(std::vector<media_item> items, bool changed);

    std::vector<std::filesystem::path> folders_;
    std::chrono::milliseconds interval_;
    std::map<std::filesystem::path, probed> probed_;  // scanning thread only
    std::map<std::string, bool> refused_logged_;      // scanning thread only

    mutable std::mutex mutex_;  // guards snapshot_, current_, stop_ (with cv_)
    std::shared_ptr<const library_snapshot> snapshot_;
    gst_audio_source* current_ = nullptr;  // the probe in progress, to cancel on stop()
    bool stop_ = false;
    std::atomic<bool> stop_hash_{false};
    std::condition_variable cv_;
    std::thread thread_;
};

}  // namespace timeside::server::media
