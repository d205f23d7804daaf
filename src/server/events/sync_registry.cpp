// Entries expire lazily: each call first drops those whose grace is over, oldest first, so the
// registry needs no timer and holds at most the open listeners plus the last `grace` of closed ones.
#include "server/events/sync_registry.hpp"

#include <fmt/format.h>

namespace timeside::server::events {

std::string sid_problem(std::string_view sid) {
    if (sid.empty() || sid.size() > max_sid_length)
        return fmt::format("expected a token of 1 to {} characters, got {}", max_sid_length, sid.size());
    for (const char c : sid) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                        c == '-' || c == '.' || c == '_' || c == '~';
        if (!ok) return "expected letters, digits and - . _ ~ only";
    }
    return {};
}

sync_registry::sync_registry(clock::duration grace, size_t max_entries)
    : grace_(grace), max_entries_(max_entries) {}

void sync_registry::expire(clock::time_point now) {
    while (!closings_.empty() && closings_.front().at + grace_ <= now) {
        const closing c = std::move(closings_.front());
        closings_.pop_front();
        auto it = entries_.find(c.sid);
        if (it != entries_.end() && !it->second.open && it->second.start.listener == c.listener)
            entries_.erase(it);
    }
}

uint64_t sync_registry::started(const std::string& sid, const std::string& output, int64_t start_frame,
                                clock::time_point now) {
    std::vector<std::shared_ptr<sync_watcher>> tell;
    listener_start s;
    {
        std::lock_guard lock(mutex_);
        expire(now);
        auto it = entries_.find(sid);
        if (it == entries_.end() && entries_.size() >= max_entries_) return 0;
        s = listener_start{sid, output, start_frame, next_listener_++};
        if (it == entries_.end())
            entries_.emplace(sid, entry{s, true});
        else
            it->second = entry{s, true};
        auto [from, to] = watchers_.equal_range(sid);
        for (auto w = from; w != to;) {
            if (auto p = w->second.lock()) {
                tell.push_back(std::move(p));
                ++w;
            } else {
                w = watchers_.erase(w);
            }
        }
    }
    for (const auto& w : tell) w->on_listener_start(s);
    return s.listener;
}

void sync_registry::closed(const std::string& sid, uint64_t listener, clock::time_point now) {
    std::lock_guard lock(mutex_);
    expire(now);
    auto it = entries_.find(sid);
    if (it == entries_.end() || it->second.start.listener != listener) return;  // replaced meanwhile
    it->second.open = false;
    closings_.push_back({now, sid, listener});
}

std::optional<listener_start> sync_registry::watch(const std::string& sid,
                                                   const std::shared_ptr<sync_watcher>& w,
                                                   clock::time_point now) {
    std::lock_guard lock(mutex_);
    expire(now);
    watchers_.emplace(sid, w);
    auto it = entries_.find(sid);
    if (it == entries_.end()) return std::nullopt;
    return it->second.start;
}

void sync_registry::unwatch(const std::string& sid, const sync_watcher* w) {
    std::lock_guard lock(mutex_);
    auto [from, to] = watchers_.equal_range(sid);
    for (auto it = from; it != to;) {
        auto p = it->second.lock();
        if (!p || p.get() == w)
            it = watchers_.erase(it);
        else
            ++it;
    }
}

size_t sync_registry::entries() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

size_t sync_registry::watchers() const {
    std::lock_guard lock(mutex_);
    return watchers_.size();
}

}  // namespace timeside::server::events
