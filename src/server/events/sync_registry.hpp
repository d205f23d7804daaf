// sync_registry: one mount's listeners that gave a `sid` (`/live/{id}.{ext}?sid=TOKEN`), each with
// the stream frame its player shows at `audio.currentTime = 0` (its start_frame), and the
// subscribers asking for that sid, told when a listener with it starts (or starts again). Bounded:
// an entry leaves `grace` after its listener closed (a subscriber arriving a moment later still
// learns it), and at most `max_entries` are kept. Any thread; a listener without sid never calls it.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace timeside::server::events {

inline constexpr size_t max_sid_length = 128;
// What is wrong with a client's sid (1 to 128 of A-Z a-z 0-9 - . _ ~, URL-safe as they are), or
// empty when it is fine.
std::string sid_problem(std::string_view sid);

struct listener_start {
    std::string sid;
    std::string output;       // the listener's URL path, /live/{id}.{ext}
    int64_t start_frame = 0;  // the stream frame at audio.currentTime = 0
    uint64_t listener = 0;    // which listener (a reconnect is a new one)
};

// Told when a listener with its sid starts; called outside the registry's lock, on the
// listener's thread: post to your own.
class sync_watcher {
public:
    virtual ~sync_watcher() = default;
    virtual void on_listener_start(const listener_start& start) = 0;
};

class sync_registry {
public:
    using clock = std::chrono::steady_clock;
    explicit sync_registry(clock::duration grace = std::chrono::seconds(10), size_t max_entries = 65536);

    // A listener with `sid` starts: recorded (replacing an earlier listener's), watchers told.
    // Its id, for closed(); 0 when the registry is full (the listener plays on, unrecorded).
    uint64_t started(const std::string& sid, const std::string& output, int64_t start_frame,
                     clock::time_point now = clock::now());
    // That listener closed: its entry stays `grace` longer unless a newer listener replaced it.
    void closed(const std::string& sid, uint64_t listener, clock::time_point now = clock::now());

    // A subscriber for `sid`: the entry there is now, if any; later starts reach `w`.
    std::optional<listener_start> watch(const std::string& sid, const std::shared_ptr<sync_watcher>& w,
                                        clock::time_point now = clock::now());
    void unwatch(const std::string& sid, const sync_watcher* w);

    size_t entries() const;
    size_t watchers() const;

private:
    struct entry {
        listener_start start;
        bool open = true;
    };
    void expire(clock::time_point now);  // under mutex_

    const clock::duration grace_;
    const size_t max_entries_;
    mutable std::mutex mutex_;
    std::map<std::string, entry, std::less<>> entries_;
    struct closing {
        clock::time_point at;
        std::string sid;
        uint64_t listener;
    };
    std::deque<closing> closings_;  // in closing order: the oldest expire first
    std::multimap<std::string, std::weak_ptr<sync_watcher>, std::less<>> watchers_;
    uint64_t next_listener_ = 1;
};

}  // namespace timeside::server::events
