// The hub's ring, cursors and wake-ups. publish() takes the lock exclusively for an append and a
// trim; listeners take chunks under a shared lock, so 10,000 of them read concurrently. A waiter
// is registered under the same lock its take() looked under, so a publish never slips between
// "nothing new" and "wake me".
#include "server/live/hub.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/errors.hpp"
#include "server/live/listener_head.hpp"

namespace timeside::server::live {

namespace {
int64_t seconds_to_frames(double seconds, int rate) { return static_cast<int64_t>(std::llround(seconds * rate)); }
}  // namespace

hub::hub(hub_settings settings)
    : settings_(std::move(settings)),
      heads_{listener_head(settings_, false), listener_head(settings_, true)},
      ring_frames_(seconds_to_frames(std::max(settings_.burst_seconds, settings_.queue_seconds), settings_.samplerate)),
      burst_frames_(seconds_to_frames(settings_.burst_seconds, settings_.samplerate)),
      burst_bytes_reach_(std::max(burst_frames_, seconds_to_frames(settings_.queue_seconds / 2, settings_.samplerate))),
      check_frames_(std::max<int64_t>(1, seconds_to_frames(settings_.check_seconds, settings_.samplerate))),
      queue_frames_(seconds_to_frames(settings_.queue_seconds, settings_.samplerate)) {
    if (settings_.samplerate <= 0)
        throw usage_error(fmt::format("{}: the hub needs the mount's sample rate, got {}", settings_.mount, settings_.samplerate));
    if (!(settings_.burst_seconds >= 0) || !(settings_.queue_seconds > 0) || settings_.queue_seconds < settings_.burst_seconds)
        throw usage_error(fmt::format("{}: [listeners] queue ({} s) must be positive and at least burst ({} s): "
                                      "a listener is dropped when more than queue seconds behind, and the burst "
                                      "puts it burst seconds behind as it joins",
                                      settings_.mount, settings_.queue_seconds, settings_.burst_seconds));
    if (settings_.metaint == 0) throw usage_error(fmt::format("{}: [listeners] metaint must be at least 1", settings_.mount));
}

void hub::publish(chunk_ptr chunk) {
    if (!chunk) return;
    chunks_.fetch_add(1, std::memory_order_relaxed);
    std::vector<std::shared_ptr<hub_waiter>> woken;
    bool check = false;
    std::lock_guard publishing(publish_mutex_);  // one publisher at a time (spare_ is reused)
    woken.swap(spare_);  // empty, with the capacity of the last wake-up: no regrowth per wake
    {
        std::unique_lock lock(mutex_);
        if (chunk->header) {
            if (!last_was_header_) headers_.clear();  // a new set: the encoder started over
            headers_.push_back(chunk);
            last_was_header_ = true;
            // Listeners already here need it in order too (a new logical stream); a joining
            // listener gets it from headers_ and starts its burst after it.
            if (!ring_.empty() || end_frame_ > 0) {
                ring_.push_back({chunk, end_frame_});
                ring_bytes_ += chunk->bytes.size();
                last_header_seq_ = first_seq_ + ring_.size();
            }
        } else {
            last_was_header_ = false;
            ring_.push_back({chunk, end_frame_});
            ring_bytes_ += chunk->bytes.size();
            end_frame_ = std::max(end_frame_, chunk->end_frame);
            end_frame_seen_.store(end_frame_, std::memory_order_relaxed);
        }
        trim();
        if (chunk->header || end_frame_ - last_wake_frame_ >= wake_frames()) {
            last_wake_frame_ = end_frame_;
            std::lock_guard wl(waiters_mutex_);
            woken.swap(waiters_);  // waiters_ now holds the spare capacity
        }
        if (end_frame_ - last_check_frame_ >= check_frames_) {
            last_check_frame_ = end_frame_;
            check = true;
        }
    }
    for (auto& waiter : woken) waiter->on_chunks();
    woken.clear();
    spare_.swap(woken);
    if (check) check_readers();
}

int64_t hub::wake_frames() const {
    const double crowd = settings_.wake_writes_per_second > 0
                             ? listeners_.load(std::memory_order_relaxed) / settings_.wake_writes_per_second
                             : settings_.wake_max_seconds;
    const double seconds = std::clamp(crowd, settings_.wake_min_seconds, std::max(settings_.wake_min_seconds, settings_.wake_max_seconds));
    return seconds_to_frames(seconds, settings_.samplerate);
}

void hub::attach(const std::shared_ptr<hub_reader>& reader) {
    std::lock_guard lock(readers_mutex_);
    readers_.push_back(reader);
}

std::vector<listener_info> hub::listeners() const {
    std::vector<listener_info> out;
    std::lock_guard lock(readers_mutex_);
    for (const auto& w : readers_)
        if (auto r = w.lock())
            if (auto info = r->listener()) out.push_back(std::move(*info));
    return out;
}

// One pass over every listener: those gone are forgotten, those behind are told.
void hub::check_readers() {
    const int64_t limit = end_frame() - queue_frames_;
    std::vector<std::shared_ptr<hub_reader>> behind;
    {
        std::lock_guard lock(readers_mutex_);
        for (size_t i = 0; i < readers_.size();) {
            auto r = readers_[i].lock();
            if (!r) {
                readers_[i] = std::move(readers_.back());
                readers_.pop_back();
                continue;
            }
            if (r->written_end_frame() < limit) behind.push_back(std::move(r));
            ++i;
        }
    }
    for (auto& r : behind) r->on_behind();
}

void hub::close_listeners() {
    closed_ = true;
    std::vector<std::shared_ptr<hub_reader>> all;
    {
        std::lock_guard lock(readers_mutex_);
        for (auto& w : readers_)
            if (auto r = w.lock()) all.push_back(std::move(r));
        readers_.clear();
    }
    std::vector<std::shared_ptr<hub_waiter>> waiting;
    {
        // Idle listeners hold the hub and the hub holds them: nothing would ever break that cycle
        // once publishing stops. They are woken once more, after being told to close, so that
        // whatever holds them lets them go.
        std::unique_lock lock(mutex_);
        std::lock_guard wl(waiters_mutex_);
        waiting.swap(waiters_);
    }
    for (auto& r : all) r->on_hub_closed();
    for (auto& w : waiting) w->on_chunks();
    // The listeners' shared state (their shards, strands of the server's io_context) goes now,
    // while that io_context still exists: a hub may outlive it (its owner is destroyed after).
    std::lock_guard lock(listener_state_mutex_);
    listener_state_.reset();
}

std::shared_ptr<void> hub::listener_state(const std::function<std::shared_ptr<void>()>& make) {
    std::lock_guard lock(listener_state_mutex_);
    if (!listener_state_) listener_state_ = make();
    return listener_state_;
}

hub_settings hub_settings_for(const stream_definition& def, const output_definition& output,
                              std::shared_ptr<listener_budget> server, std::shared_ptr<listener_budget> mount) {
    hub_settings s;
    s.mount = "/live/" + def.id + "." + output.extension;
    s.content_type = output.content_type;
    s.samplerate = def.samplerate;
    s.channels = def.channels;
    s.bitrate_kbps = static_cast<int>(output.bitrate_kbps);
    s.name = def.name;
    s.description = def.description;
    s.genre = def.genre;
    s.url = def.url;
    s.is_public = def.is_public;
    s.burst_seconds = def.listeners.burst_seconds;
    s.burst_bytes = def.listeners.burst_bytes;
    s.queue_seconds = def.listeners.queue_seconds;
    s.metaint = def.listeners.metaint;
    s.server = std::move(server);
    s.mount_budget = std::move(mount);
    s.mount_id = def.id;
    return s;
}

void hub::trim() {
    // Keep the chunks whose audio ends within the ring's seconds of the newest end (a header in
    // the ring ends where the audio before it ended).
    auto ends = [](const entry& e) { return e.chunk->header ? e.start_frame : e.chunk->end_frame; };
    while (ring_.size() > 1 && ends(ring_.front()) <= end_frame_ - ring_frames_) {
        ring_bytes_ -= ring_.front().chunk->bytes.size();
        ring_.pop_front();
        ++first_seq_;
    }
}

void hub::set_title(std::string title) {
    auto next = std::make_shared<icy::title_block>();
    next->block = icy::metadata_block(title);
    next->title = std::move(title);
    std::lock_guard lock(title_mutex_);
    next->version = (title_ ? title_->version : 0) + 1;
    title_ = std::move(next);
}

icy::title_ptr hub::title() const {
    static const icy::title_ptr none = std::make_shared<const icy::title_block>();
    std::lock_guard lock(title_mutex_);
    return title_ ? title_ : none;
}

hub::slot::~slot() { hub_->leave(); }

hub::join_result hub::try_join() {
    if (closed_) {
        refused_.fetch_add(1, std::memory_order_relaxed);
        return {nullptr, fmt::format("{} is being removed", settings_.mount)};
    }
    // Places are taken from the widest cap in, and given back if a narrower one is full.
    auto take = [](listener_budget* b) { return !b || b->listeners.fetch_add(1) < b->max || b->max == 0; };
    auto give_back = [](listener_budget* b) {
        if (b) b->listeners.fetch_sub(1);
    };
    listener_budget* server = settings_.server.get();
    listener_budget* mount = settings_.mount_budget.get();
    auto refuse = [&](std::string why) {
        refused_.fetch_add(1, std::memory_order_relaxed);
        return join_result{nullptr, std::move(why)};
    };
    if (!take(server)) {
        give_back(server);
        return refuse(fmt::format("the server has its maximum of {} listeners (max_listeners)", server->max));
    }
    if (!take(mount)) {
        give_back(mount);
        give_back(server);
        return refuse(fmt::format("mount {} has its maximum of {} listeners ([listeners] max)", settings_.mount_id,
                                  mount->max));
    }
    const unsigned before = listeners_.fetch_add(1);
    if (settings_.max_listeners > 0 && before >= settings_.max_listeners) {
        listeners_.fetch_sub(1);
        give_back(mount);
        give_back(server);
        return refuse(fmt::format("{} has its maximum of {} listeners", settings_.mount, settings_.max_listeners));
    }
    connects_.fetch_add(1, std::memory_order_relaxed);
    uint64_t peak = peak_.load();
    while (before + 1 > peak && !peak_.compare_exchange_weak(peak, before + 1)) {
    }
    return {std::make_shared<slot>(shared_from_this()), {}};
}

void hub::leave() {
    listeners_.fetch_sub(1);
    if (settings_.mount_budget) settings_.mount_budget->listeners.fetch_sub(1);
    if (settings_.server) settings_.server->listeners.fetch_sub(1);
}

hub::start_point hub::start() const {
    std::shared_lock lock(mutex_);
    start_point p;
    p.headers = headers_;
    p.from = {first_seq_ + ring_.size(), false};
    p.start_frame = end_frame_;
    if (burst_frames_ <= 0) return p;
    // The burst never starts before a header in the ring: the joining listener has the new set.
    const size_t first = last_header_seq_ > first_seq_ ? static_cast<size_t>(last_header_seq_ - first_seq_) : 0;
    auto starts_here = [](const entry& e) { return e.chunk->sync && !e.chunk->header; };
    size_t start = ring_.size();
    for (size_t i = first; i < ring_.size(); ++i)
        if (starts_here(ring_[i]) && ring_[i].start_frame >= end_frame_ - burst_frames_) {
            start = i;
            break;
        }
    // Not enough bytes in those seconds: walk back, from sync chunk to sync chunk, until there are.
    uint64_t bytes = 0;
    for (size_t i = ring_.size(); i-- > first && settings_.burst_bytes > 0;) {
        const entry& e = ring_[i];
        bytes += e.chunk->bytes.size();
        if (e.start_frame < end_frame_ - burst_bytes_reach_) break;
        if (starts_here(e) && i < start) start = i;
        if (bytes >= settings_.burst_bytes && i == start) break;
    }
    if (start < ring_.size()) {
        p.from = {first_seq_ + start, true};
        p.start_frame = ring_[start].start_frame;
    }
    return p;
}

hub::take_result hub::take(cursor& at, std::vector<chunk_ptr>& out, size_t max_chunks,
                           const std::shared_ptr<hub_waiter>& waiter) {
    std::shared_lock lock(mutex_);
    if (at.next < first_seq_) return take_result::lost;
    const uint64_t end = first_seq_ + ring_.size();
    size_t taken = 0;
    while (at.next < end && taken < max_chunks) {
        const chunk_ptr& c = ring_[static_cast<size_t>(at.next - first_seq_)].chunk;
        ++at.next;
        if (!at.synced) {
            if (!c->sync && !c->header) continue;  // a decoder cannot start inside a frame
            at.synced = true;
        }
        out.push_back(c);
        ++taken;
    }
    if (taken > 0) return take_result::data;
    if (waiter) {
        std::lock_guard wl(waiters_mutex_);
        waiters_.push_back(waiter);
    }
    return take_result::none;
}

int64_t hub::end_frame() const { return end_frame_seen_.load(std::memory_order_relaxed); }

double hub::bytes_per_second() const {
    if (settings_.bitrate_kbps > 0) return settings_.bitrate_kbps * 1000.0 / 8;
    std::shared_lock lock(mutex_);
    if (ring_.empty()) return 0;
    const int64_t frames = end_frame_ - ring_.front().start_frame;
    return frames > 0 ? static_cast<double>(ring_bytes_) * settings_.samplerate / static_cast<double>(frames) : 0;
}

double hub::ring_seconds() const {
    std::shared_lock lock(mutex_);
    if (ring_.empty()) return 0;
    return static_cast<double>(end_frame_ - ring_.front().start_frame) / settings_.samplerate;
}

size_t hub::ring_chunks() const {
    std::shared_lock lock(mutex_);
    return ring_.size();
}

hub_counters hub::counters() const {
    hub_counters c;
    c.listeners = listeners_.load(std::memory_order_relaxed);
    c.listener_peak = peak_.load(std::memory_order_relaxed);
    c.slow_listeners = slow_.load(std::memory_order_relaxed);
    c.connects = connects_.load(std::memory_order_relaxed);
    c.refused = refused_.load(std::memory_order_relaxed);
    c.bytes_sent = bytes_sent_.load(std::memory_order_relaxed);
    c.chunks = chunks_.load(std::memory_order_relaxed);
    return c;
}

}  // namespace timeside::server::live
