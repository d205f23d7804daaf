// Scanning, probing and publishing. Probes run on the library's thread (a GStreamer preroll each,
// bounded by probe_timeout, then the sha1), so a large folder never holds up a request; files over
// sync_hash_bytes are probed and hashed on the background thread, one at a time, so they never hold
// up the scan. stop() cancels the probes and the hash in progress: a SIGTERM still drains in time.
#include "server/media/library.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/errors.hpp"
#include "core/sha1.hpp"
#include "core/utf8.hpp"
#include "decoders/gst_audio_source.hpp"
#include "decoders/input_check.hpp"
#include "server/log.hpp"
#include "server/media/ids.hpp"

namespace timeside::server::media {

const media_item* library_snapshot::find(const std::string& id) const {
    auto it = by_id.find(id);
    return it == by_id.end() ? nullptr : &items[it->second];
}

library::library(std::vector<std::filesystem::path> folders, std::chrono::milliseconds rescan_interval)
    : folders_(std::move(folders)), interval_(rescan_interval) {
    auto empty = std::make_shared<library_snapshot>();
    empty->listing_json = nlohmann::json{{"items", nlohmann::json::array()}, {"count", 0}}.dump(2);
    snapshot_ = std::move(empty);
}

library::~library() { stop(); }

void library::start() {
    if (!hasher_.joinable()) hasher_ = std::thread([this] { run_hashing(); });
    if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
}

void library::stop() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
        if (current_) current_->cancel();
        if (current_background_) current_background_->cancel();
    }
    stop_hash_ = true;
    cv_.notify_all();
    hash_cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    if (hasher_.joinable()) hasher_.join();
}

std::shared_ptr<const library_snapshot> library::snapshot() const {
    std::lock_guard lock(mutex_);
    return snapshot_;
}

void library::run() {
    for (;;) {
        try {
            scan_once();
        } catch (const std::exception& e) {
            log(log_level::error, "library_scan", {{"error", e.what()}});
        }
        std::unique_lock lock(mutex_);
        if (cv_.wait_for(lock, interval_, [this] { return stop_ || rescan_; }) && stop_) return;
        rescan_ = false;
    }
}

namespace {
bool same_file(const std::filesystem::path& path, uint64_t size, int64_t mtime_ns) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && static_cast<uint64_t>(st.st_size) == size &&
           static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec == mtime_ns;
}
}  // namespace

// One file at a time, in the order the scan found them. A file that changed while it was hashed
// gets no sha1 from this pass: the next scan sees the change and probes it again.
void library::run_hashing() {
    for (;;) {
        hash_job job;
        {
            std::unique_lock lock(mutex_);
            hash_cv_.wait(lock, [this] { return stop_ || !hash_queue_.empty(); });
            if (stop_) return;
            job = std::move(hash_queue_.front());
            hash_queue_.pop_front();
        }
        const scanned_file& f = job.file;
        if (!same_file(f.path, f.size, f.mtime_ns)) continue;  // changed while queued: rescanned anyway
        const auto started = std::chrono::steady_clock::now();
        log(log_level::info, "library_hashing", {{"file", to_valid_utf8(f.relative)}, {"size", std::to_string(f.size)}});
        job.ok = probe(f, job.item, current_background_);
        if (stop_hash_) return;
        if (job.ok && !same_file(f.path, f.size, f.mtime_ns)) job.ok = false;
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        log(log_level::info, "library_hashed", {{"file", to_valid_utf8(f.relative)},
                                                {"seconds", fmt::format("{:.2f}", seconds)},
                                                {"ok", job.ok ? "true" : "false"}});
        std::lock_guard lock(mutex_);
        hashed_.push_back(std::move(job));
        rescan_ = true;
        cv_.notify_all();
    }
}

// Hashes finished since the last scan go to the entries still waiting for them, if the file is
// still what was hashed.
void library::take_hashes(bool& changed) {
    std::vector<hash_job> done;
    {
        std::lock_guard lock(mutex_);
        done.swap(hashed_);
    }
    for (auto& job : done) {
        auto it = probed_.find(job.key);
        if (it == probed_.end() || !it->second.hashing || it->second.size != job.file.size ||
            it->second.mtime_ns != job.file.mtime_ns || it->second.item.path != job.file.path)
            continue;
        it->second.hashing = false;
        it->second.item = std::move(job.item);
        it->second.ok = job.ok;
        changed = true;
    }
}

bool library::probe(const scanned_file& file, media_item& item, gst_audio_source*& slot) {
    try {
        resolved_input in = resolve_input(file.path.string());
        gst_source_options opts;
        opts.uri = in.uri;
        opts.label = to_valid_utf8(file.relative);
        opts.timeout = probe_timeout;
        gst_audio_source source(opts);
        {
            std::lock_guard lock(mutex_);
            if (stop_) return false;
            slot = &source;
        }
        struct clear_current {
            library& lib;
            gst_audio_source*& slot;
            ~clear_current() {
                std::lock_guard lock(lib.mutex_);
                slot = nullptr;
            }
        } clear{*this, slot};
        source.open();
        const media_info& m = source.media();
        item.duration = m.duration;
        item.samplerate = m.samplerate;
        item.channels = m.channels;
        item.mime = m.mime;
        item.tags = m.tags;
    } catch (const cancelled_error&) {
        return false;
    } catch (const std::exception& e) {
        log(log_level::info, "library_skip", {{"file", to_valid_utf8(file.relative)}, {"cause", to_valid_utf8(e.what())}});
        return false;
    }
    item.sha1 = sha1_file(file.path, &stop_hash_);
    return !item.sha1.empty();
}

void library::scan_once() {
    scan_result found = scan_folders(folders_);
    for (const auto& r : found.refused)
        if (!refused_logged_[r]) {
            refused_logged_[r] = true;
            log(log_level::warn, "library_refused", {{"file", to_valid_utf8(r)}});
        }
    bool changed = false;
    take_hashes(changed);
    std::set<std::filesystem::path> seen;
    std::vector<media_item> items;
    for (const scanned_file& f : found.files) {
        if (stop_hash_) return;
        const std::filesystem::path key = std::to_string(f.folder) + "/" + f.relative;
        seen.insert(key);
        auto it = probed_.find(key);
        if (it == probed_.end() || it->second.size != f.size || it->second.mtime_ns != f.mtime_ns ||
            it->second.item.path != f.path) {
            probed p{f.size, f.mtime_ns, false, false, {}};
            p.item.path = f.path;
            p.item.relative = f.relative;
            p.item.folder = f.folder;
            p.item.ext = split_extension(f.relative).second;
            p.item.size = f.size;
            p.item.mtime_ns = f.mtime_ns;
            if (f.size > sync_hash_bytes && hasher_.joinable()) {
                p.hashing = true;
                std::lock_guard lock(mutex_);
                hash_queue_.push_back({key, f, p.item, false});
                hash_cv_.notify_one();
            } else {
                p.ok = probe(f, p.item, current_);
            }
            if (stop_hash_) return;  // a cancelled probe says nothing about the file
            it = probed_.insert_or_assign(key, std::move(p)).first;
            changed = true;
        }
        if (it->second.ok && !it->second.hashing) items.push_back(it->second.item);
    }
    for (auto it = probed_.begin(); it != probed_.end();) {
        if (seen.count(it->first)) {
            ++it;
        } else {
            it = probed_.erase(it);
            changed = true;
        }
    }
    publish(std::move(items), changed);
}

void library::publish(std::vector<media_item> items, bool changed) {
    auto previous = snapshot();
    if (!changed && previous->scanned) return;
    std::vector<id_candidate> candidates;
    for (const auto& i : items) candidates.push_back({i.relative, i.folder});
    const auto ids = assign_ids(candidates);
    for (size_t k = 0; k < items.size(); ++k) items[k].id = ids[k];
    std::sort(items.begin(), items.end(), [](const media_item& a, const media_item& b) { return a.id < b.id; });

    auto next = std::make_shared<library_snapshot>();
    nlohmann::json listing = nlohmann::json::array();
    for (size_t k = 0; k < items.size(); ++k) {
        next->by_id.emplace(items[k].id, k);
        listing.push_back(to_json(items[k]));
    }
    next->listing_json = nlohmann::json{{"items", listing}, {"count", items.size()}}.dump(2);
    next->items = std::move(items);
    next->generation = previous->generation + 1;
    next->scanned = true;
    log(log_level::info, "library", {{"items", std::to_string(next->items.size())},
                                     {"generation", std::to_string(next->generation)}});
    std::lock_guard lock(mutex_);
    snapshot_ = std::move(next);
}

}  // namespace timeside::server::media
