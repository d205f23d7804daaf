// The media library: every decodable file under the configured folders, by id. A thread of its
// own rescans the folders on a timer (a stat() walk), probes only new or changed files through
// GStreamer, and publishes an immutable snapshot that request handlers read without waiting.
// Files above sync_hash_bytes are probed and hashed by a second thread, so one huge file never
// holds up the others; such a file is listed once its sha1 (part of every cache key) is known.
#pragma once

#include <deque>
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

// What the scan probes and hashes itself (hashing takes about 40 ms here); larger files go to the
// background thread.
constexpr uint64_t sync_hash_bytes = uint64_t{64} << 20;
// The longest a probe (a GStreamer preroll) may take before the file is skipped.
constexpr std::chrono::milliseconds probe_timeout{5000};

class library {
public:
    library(std::vector<std::filesystem::path> folders, std::chrono::milliseconds rescan_interval);
    ~library();
    library(const library&) = delete;
    library& operator=(const library&) = delete;

    void start();  // the scanning and hashing threads: a first scan at once, then one per interval
    void stop();   // cancels a probe or hash in progress and joins; also done by the destructor
    void scan_once();  // one synchronous scan (start() not needed; it then hashes every file itself)

    std::shared_ptr<const library_snapshot> snapshot() const;
    const std::vector<std::filesystem::path>& folders() const { return folders_; }

private:
    struct probed {  // what a file was when probed; a changed size or mtime probes it again
        uint64_t size = 0;
        int64_t mtime_ns = 0;
        bool ok = false;
        bool hashing = false;  // handed to the background thread; not listed until it is done
        media_item item;
    };
    struct hash_job {  // a file as the scan found it; a result for anything else is dropped
        std::filesystem::path key;
        scanned_file file;
        media_item item;  // the result: probed and hashed
        bool ok = false;
    };
    void run();
    void run_hashing();
    bool probe(const scanned_file& file, media_item& item, gst_audio_source*& slot);
    void take_hashes(bool& changed);
    void publish(std::vector<media_item> items, bool changed);

    std::vector<std::filesystem::path> folders_;
    std::chrono::milliseconds interval_;
    std::map<std::filesystem::path, probed> probed_;  // scanning thread only
    std::map<std::string, bool> refused_logged_;      // scanning thread only

    mutable std::mutex mutex_;  // guards snapshot_, current_, stop_ (with cv_)
    std::shared_ptr<const library_snapshot> snapshot_;
    gst_audio_source* current_ = nullptr;  // the probe in progress, to cancel on stop()
    gst_audio_source* current_background_ = nullptr;  // the background thread's
    bool stop_ = false;
    std::atomic<bool> stop_hash_{false};
    std::condition_variable cv_;
    std::thread thread_;
    std::deque<hash_job> hash_queue_;  // guarded by mutex_, like the two below
    std::vector<hash_job> hashed_;
    bool rescan_ = false;  // a hash finished: the scanning thread publishes it at once
    std::condition_variable hash_cv_;
    std::thread hasher_;
};

}  // namespace timeside::server::media
