// The ring is a deque of messages numbered without gaps (a seq's index is seq - front_seq_); each
// subscriber's cursor is the last seq it looked at. Publishing serializes under the hub's lock
// (microseconds) and wakes the parked subscribers outside it; the lag check runs on the clock's
// thread, one pass over the subscribers every check_seconds, no timer per subscriber.
#include "server/events/event_hub.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace timeside::server::events {

using clock = std::chrono::steady_clock;

event_hub::event_hub(event_hub_settings settings)
    : settings_(std::move(settings)), front_seq_(settings_.first_seq), next_seq_(settings_.first_seq) {
    // The default rate's decimator always runs: an SSE subscriber that reconnects finds its
    // framewise values in the ring even when it was the only one at that rate.
    tiers_.try_emplace(default_rate, tier{decimator(default_rate, settings_.samplerate), 0, 0, {}});
}

event_hub::~event_hub() = default;

void event_hub::set_catalog(std::shared_ptr<const catalog> c) {
    std::lock_guard lock(mutex_);
    catalog_ = std::move(c);
}

std::shared_ptr<const catalog> event_hub::get_catalog() const {
    std::lock_guard lock(mutex_);
    return catalog_;
}

uint64_t event_hub::last_seq() const {
    std::lock_guard lock(mutex_);
    return next_seq_ - 1;
}

void event_hub::append(message_ptr m) {
    ring_bytes_ += m->json.size() + m->sse_head.size() + m->ws_head.size();
    ring_.push_back(std::move(m));
    messages_.fetch_add(1, std::memory_order_relaxed);
    const auto keep = std::chrono::duration_cast<clock::duration>(
        std::chrono::duration<double>(std::max(settings_.resume_seconds, settings_.queue_seconds) + 1));
    const auto oldest = ring_.back()->made - keep;
    // No reader, nobody subscribed within the window (and not a finite feed, read from its
    // start): nothing in the ring can be read or resumed, so it holds the newest message only.
    const bool unwatched = !settings_.from_start && readers_.empty() && subscribers_.load(std::memory_order_relaxed) == 0 &&
                           clock::time_point(clock::duration(last_left_.load(std::memory_order_relaxed))) < oldest;
    while (ring_.size() > 1 && (unwatched || ring_.size() > settings_.max_ring || ring_bytes_ > settings_.max_ring_bytes ||
                                ring_.front()->made < oldest)) {
        ring_bytes_ -= ring_.front()->json.size() + ring_.front()->sse_head.size() + ring_.front()->ws_head.size();
        ring_.pop_front();
        ++front_seq_;
    }
}

std::vector<std::shared_ptr<feed_waiter>> event_hub::take_waiters() {
    std::vector<std::shared_ptr<feed_waiter>> w;
    w.swap(waiters_);
    return w;
}

void event_hub::publish(const analysis_event& e) {
    const auto now = clock::now();
    std::vector<std::shared_ptr<feed_waiter>> wake;
    {
        std::lock_guard lock(mutex_);
        if (closed_) return;
        const bool decimated = catalog_ ? catalog_->decimated(e) : !e.label.has_value();
        if (!decimated) {
            append(make_event_message(next_seq(), e, now));
        } else {
            const aggregation how = catalog_ ? catalog_->aggregate(e.result_id) : aggregation::mean;
            for (auto& [rate, t] : tiers_)
                if (auto v = t.dec.add(e, how)) append_interval(rate, t, *v);
        }
        wake = take_waiters();
    }
    for (auto& w : wake) w->on_messages();
}

void event_hub::append_interval(int rate, const tier& t, const interval_values& v) {
    const auto made = clock::now();
    const auto spectrum = catalog_ ? catalog_->spectra.find(v.result_id) : decltype(catalog_->spectra)::const_iterator{};
    const bool is_spectrum = catalog_ && spectrum != catalog_->spectra.end();
    // A spectrum (tens of kilobytes as JSON) is made only in the forms its rate's readers take:
    // JSON, binary columns, or both.
    if (!is_spectrum || t.readers > t.column_readers) append(make_interval_message(next_seq(), rate, v, made));
    if (is_spectrum && t.column_readers) append(make_column_message(next_seq(), rate, v, spectrum->second.full_scale, made));
}

void event_hub::publish(const message_maker& make) {
    std::vector<std::shared_ptr<feed_waiter>> wake;
    {
        std::lock_guard lock(mutex_);
        if (closed_) return;
        append(make(next_seq(), clock::now()));
        wake = take_waiters();
    }
    for (auto& w : wake) w->on_messages();
}

void event_hub::finish(const message_maker& last) {
    std::vector<std::shared_ptr<feed_waiter>> wake;
    {
        std::lock_guard lock(mutex_);
        if (closed_) return;
        for (auto& [rate, t] : tiers_)
            for (const auto& v : t.dec.flush()) append_interval(rate, t, v);
        append(last(next_seq(), clock::now()));
        closed_ = true;
        wake = take_waiters();
    }
    for (auto& w : wake) w->on_messages();
}

void event_hub::publish(const news& n) {
    const auto now = clock::now();
    std::vector<std::shared_ptr<feed_waiter>> wake;
    {
        std::lock_guard lock(mutex_);
        if (closed_) return;
        append(make_news_message(next_seq(), n, now));
        wake = take_waiters();
    }
    for (auto& w : wake) w->on_messages();
}

void event_hub::tick(int64_t stream_frame) {
    stream_frame_.store(stream_frame, std::memory_order_relaxed);
    const auto every = static_cast<int64_t>(settings_.check_seconds * settings_.samplerate);
    if (stream_frame - last_check_frame_ < every) return;  // only the clock's thread writes it
    last_check_frame_ = stream_frame;
    check(clock::now());
}

void event_hub::check(clock::time_point now) {
    struct action {
        std::shared_ptr<feed_reader> reader;
        int rate = 0;  // 0: behind, close it
        bool raised = false;
    };
    std::vector<action> actions;
    {
        std::lock_guard lock(mutex_);
        const auto queue = std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(settings_.queue_seconds));
        for (auto it = readers_.begin(); it != readers_.end();) {
            auto r = it->reader.lock();
            if (!r) {
                it = readers_.erase(it);
                continue;
            }
            const uint64_t first = r->done_seq.load(std::memory_order_relaxed) + 1;
            const int rate = r->rate.load();
            if (first < next_seq_) {
                const auto lag = first < front_seq_ ? queue + queue : now - ring_[first - front_seq_]->made;
                if (lag > queue / 8) it->strained = now;
                if (lag > queue) {
                    actions.push_back({r, 0});
                } else if (lag > queue / 4 && rate > 1 && now - it->lowered > queue / 4) {
                    const int lower = std::max(1, rate / 4);
                    uint64_t skipped = 0;
                    for (uint64_t s = first; s < next_seq_; ++s)
                        if (ring_[s - front_seq_]->rate == rate) ++skipped;
                    dropped_.fetch_add(skipped, std::memory_order_relaxed);
                    remove_tier(rate, r->columns);
                    add_tier(lower, r->columns);
                    r->rate = lower;
                    it->lowered = now;
                    actions.push_back({r, lower});
                }
            }
            // Kept up (never over an eighth of the queue behind) for a whole queue since it last
            // lagged: four times its rate again, up to the rate it asked for.
            if (rate < it->asked && now - it->strained > queue) {
                const int higher = std::min(it->asked, rate * 4);
                remove_tier(rate, r->columns);
                add_tier(higher, r->columns);
                r->rate = higher;
                it->strained = now;  // the next step up waits another queue
                actions.push_back({r, higher, true});
            }
            ++it;
        }
        // A rate nobody reads any more is kept as long as a reconnecting SSE subscriber could resume it.
        const auto resume = std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(settings_.resume_seconds));
        for (auto it = tiers_.begin(); it != tiers_.end();) {
            if (it->first != default_rate && it->second.readers == 0 && now - it->second.idle_since > resume)
                it = tiers_.erase(it);
            else
                ++it;
        }
    }
    for (auto& a : actions) {
        if (a.rate) a.reader->on_rate_changed(a.rate, a.raised);
        else a.reader->on_behind();
    }
}

void event_hub::close(const std::string& reason) {
    std::vector<std::shared_ptr<feed_reader>> readers;
    message_ptr closing;
    {
        std::lock_guard lock(mutex_);
        if (closed_) return;
        closing = make_news_message(next_seq(), news{"closing", stream_frame(), settings_.samplerate, reason, -1}, clock::now());
        append(closing);
        closed_ = true;
        for (auto& e : readers_)
            if (auto r = e.reader.lock()) readers.push_back(std::move(r));
        waiters_.clear();
    }
    for (auto& r : readers) r->on_hub_closed(closing);
}

event_hub::place::~place() {
    if (hub_->subscribers_.fetch_sub(1, std::memory_order_relaxed) == 1)
        hub_->last_left_.store(clock::now().time_since_epoch().count(), std::memory_order_relaxed);
    if (hub_->settings_.server) hub_->settings_.server->subscribers.fetch_sub(1, std::memory_order_relaxed);
}

namespace {
// Takes one unit of `count` under `max` (0: no cap).
bool take_one(std::atomic<uint64_t>& count, unsigned max) {
    uint64_t n = count.load();
    do {
        if (max && n >= max) return false;
    } while (!count.compare_exchange_weak(n, n + 1));
    return true;
}
bool take_one(std::atomic<unsigned>& count, unsigned max) {
    unsigned n = count.load();
    do {
        if (max && n >= max) return false;
    } while (!count.compare_exchange_weak(n, n + 1));
    return true;
}
}  // namespace

event_hub::join_result event_hub::try_join() {
    {
        std::lock_guard lock(mutex_);
        if (closed_) return {nullptr, fmt::format("mount '{}' is stopping; try again", settings_.mount_id)};
    }
    if (!take_one(subscribers_, settings_.max_subscribers)) {
        refused_.fetch_add(1, std::memory_order_relaxed);
        return {nullptr, fmt::format("mount '{}' has its maximum of {} event subscribers ([events] max_subscribers)",
                                     settings_.mount_id, settings_.max_subscribers)};
    }
    if (settings_.server && !take_one(settings_.server->subscribers, settings_.server->max)) {
        subscribers_.fetch_sub(1, std::memory_order_relaxed);
        refused_.fetch_add(1, std::memory_order_relaxed);
        return {nullptr, fmt::format("the server has its maximum of {} event subscribers ([live] max_subscribers)",
                                     settings_.server->max)};
    }
    connects_.fetch_add(1, std::memory_order_relaxed);
    const uint64_t now = subscribers_.load(std::memory_order_relaxed);
    uint64_t peak = peak_.load(std::memory_order_relaxed);
    while (now > peak && !peak_.compare_exchange_weak(peak, now)) {
    }
    return {std::make_shared<place>(shared_from_this()), {}};
}

void event_hub::add_tier(int rate, bool columns) {
    auto [it, fresh] = tiers_.try_emplace(rate, tier{decimator(rate, settings_.samplerate), 0, 0, {}});
    ++it->second.readers;
    if (columns) ++it->second.column_readers;
}

void event_hub::remove_tier(int rate, bool columns) {
    auto it = tiers_.find(rate);
    if (it == tiers_.end() || it->second.readers == 0) return;
    if (columns && it->second.column_readers) --it->second.column_readers;
    if (--it->second.readers == 0) it->second.idle_since = clock::now();
}

uint64_t event_hub::attach(const std::shared_ptr<feed_reader>& r, int rate, bool columns, std::optional<uint64_t> last_event_id,
                           std::optional<resume_info>& resume) {
    std::lock_guard lock(mutex_);
    const uint64_t last = next_seq_ - 1;
    uint64_t cursor = settings_.from_start ? front_seq_ - 1 : last;
    if (last_event_id) {
        const bool complete = *last_event_id + 1 >= front_seq_ && *last_event_id <= last;
        if (complete) cursor = *last_event_id;
        resume = resume_info{*last_event_id, complete};
    }
    r->rate = rate;
    r->columns = columns;
    add_tier(rate, columns);
    r->done_seq = cursor;
    readers_.push_back({r, r.get(), {}, rate, {}});
    return cursor;
}

void event_hub::detach(feed_reader* r) {
    std::lock_guard lock(mutex_);
    auto it = std::find_if(readers_.begin(), readers_.end(), [r](const reader_entry& e) { return e.key == r; });
    if (it == readers_.end()) return;
    readers_.erase(it);
    if (readers_.empty()) last_left_.store(clock::now().time_since_epoch().count(), std::memory_order_relaxed);
    remove_tier(r->rate.load(), r->columns.load());
    std::erase_if(waiters_, [r](const std::shared_ptr<feed_waiter>& w) { return w.get() == static_cast<feed_waiter*>(r); });
}

void event_hub::set_rate(feed_reader& r, int rate, bool columns) {
    std::lock_guard lock(mutex_);
    remove_tier(r.rate.load(), r.columns.load());
    add_tier(rate, columns);
    r.rate = rate;
    r.columns = columns;
    auto it = std::find_if(readers_.begin(), readers_.end(), [&r](const reader_entry& e) { return e.key == &r; });
    if (it != readers_.end()) it->asked = rate;
}

event_hub::take_result event_hub::take(uint64_t& cursor, int rate, std::vector<message_ptr>& out, size_t max,
                                       const std::shared_ptr<feed_waiter>& waiter) {
    std::lock_guard lock(mutex_);
    if (cursor + 1 < front_seq_) return take_result::lost;
    const size_t before = out.size();
    for (uint64_t s = cursor + 1; s < next_seq_ && out.size() - before < max; ++s) {
        const auto& m = ring_[s - front_seq_];
        if (m->rate == 0 || m->rate == rate) out.push_back(m);
        cursor = s;
    }
    if (out.size() > before) return take_result::data;
    if (closed_) return take_result::closed;
    if (waiter) waiters_.push_back(waiter);
    return take_result::none;
}

void delivery_tally::add(clock::time_point made, clock::time_point written) {
    ++delivered;
    const double seconds = std::chrono::duration<double>(written - made).count();
    size_t i = 0;
    while (i < latency_buckets.size() && seconds > latency_buckets[i]) ++i;
    ++latency[i];
    latency_sum_us += static_cast<uint64_t>(std::max(0.0, seconds) * 1e6);
}

void event_hub::count_delivered(clock::time_point made, clock::time_point written) {
    delivery_tally t;
    t.add(made, written);
    count_delivered(t);
}

void event_hub::count_delivered(delivery_tally& tally) {
    if (!tally.delivered) return;
    delivered_.fetch_add(tally.delivered, std::memory_order_relaxed);
    for (size_t i = 0; i < tally.latency.size(); ++i)
        if (tally.latency[i]) latency_[i].fetch_add(tally.latency[i], std::memory_order_relaxed);
    latency_sum_us_.fetch_add(tally.latency_sum_us, std::memory_order_relaxed);
    tally = {};
}

std::shared_ptr<void> event_hub::session_state(const std::function<std::shared_ptr<void>()>& make) {
    std::lock_guard lock(mutex_);
    auto state = session_state_.lock();
    if (!state) {
        state = make();
        session_state_ = state;
    }
    return state;
}

void event_hub::count_slow() { slow_.fetch_add(1, std::memory_order_relaxed); }

event_counters event_hub::counters() const {
    event_counters c;
    c.subscribers = subscribers_.load(std::memory_order_relaxed);
    c.subscriber_peak = peak_.load(std::memory_order_relaxed);
    c.connects = connects_.load(std::memory_order_relaxed);
    c.refused = refused_.load(std::memory_order_relaxed);
    c.slow_closes = slow_.load(std::memory_order_relaxed);
    c.messages = messages_.load(std::memory_order_relaxed);
    c.delivered = delivered_.load(std::memory_order_relaxed);
    c.dropped = dropped_.load(std::memory_order_relaxed);
    for (size_t i = 0; i < c.latency.size(); ++i) c.latency[i] = latency_[i].load(std::memory_order_relaxed);
    c.latency_sum = static_cast<double>(latency_sum_us_.load(std::memory_order_relaxed)) / 1e6;
    std::lock_guard lock(mutex_);
    c.ring_messages = ring_.size();
    c.ring_bytes = ring_bytes_;
    return c;
}

}  // namespace timeside::server::events
