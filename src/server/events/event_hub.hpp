// One live mount's event hub (DESIGN.md, "Event hub"): the mount's analysis events and news are
// serialized once into immutable messages, numbered, and kept in a ring of the last seconds; every
// subscriber reads the same messages through its own cursor (its queue is its place in the ring),
// one write in flight. Framewise values are decimated per rate (one decimator, one serialization
// per rate in use); events never are. A subscriber falling behind is moved to a lower rate, then
// closed (1008) and counted; nothing a subscriber does blocks the analysis lane or anyone else.
#pragma once

#include <array>
#include <atomic>
#include <limits>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/analyzer.hpp"
#include "server/events/catalog.hpp"
#include "server/events/decimator.hpp"
#include "server/events/message.hpp"
#include "server/events/subscription.hpp"
#include "server/events/sync_registry.hpp"

namespace timeside::server::events {

// The server-wide subscriber cap ([live] max_subscribers), shared by every mount's hub.
struct subscriber_budget {
    explicit subscriber_budget(unsigned max_subscribers) : max(max_subscribers) {}
    const unsigned max;  // 0: no cap
    std::atomic<unsigned> subscribers{0};
};

struct event_hub_settings {
    std::string mount_id;
    int samplerate = 44100;
    unsigned max_subscribers = 0;  // this mount's cap ([events] max_subscribers); 0: only the server's
    std::shared_ptr<subscriber_budget> server;  // may be null
    // A subscriber whose oldest unwritten message is older than this is closed (1008); past a
    // quarter of it, its framewise values go to a quarter of its rate (at most once per quarter).
    double queue_seconds = 10;
    double resume_seconds = 30;  // the ring: how far back an SSE Last-Event-ID can resume
    size_t max_ring = 1 << 17;   // messages; the oldest go first beyond
    size_t max_ring_bytes = 32 << 20;  // and the same beyond these bytes of serialized messages
    uint64_t first_seq = 1;      // a restarted mount's hub goes on from the previous one's numbers
    double check_seconds = 0.25; // how often (stream time) subscribers are checked for lag
    double ping_seconds = 30;    // WebSocket subscribers: a ping after this long without a word
    // A finite feed (an item's analysis run): a subscriber starts at the oldest message the ring
    // holds (the run's start while it is held), not now.
    bool from_start = false;
};

// What waits for messages after a take() found none: a subscriber, or the wake-up shard that a
// few thousand WebSocket subscribers share (ws_shard.hpp). Woken once, by the next publish, on the
// publishing thread, outside the hub's locks.
class feed_waiter {
public:
    virtual ~feed_waiter() = default;
    virtual void on_messages() = 0;  // after a take() found none: something arrived
};

// A subscriber as the hub sees it. The on_* calls come from the publishing thread (or the one
// closing the hub), outside the hub's locks: post to the subscriber's own strand. As a
// sync_watcher it is told when a listener with its subscription's sid starts (sync_registry).
class feed_reader : public feed_waiter, public sync_watcher {
public:
    ~feed_reader() override = default;
    virtual void on_behind() = 0;              // over queue_seconds behind: close with 1008
    // Its framewise rate changed: lowered (decimated harder: it was falling behind) or raised back
    // toward the rate it asked for (it kept up for a whole queue_seconds since).
    virtual void on_rate_changed(int rate, bool raised) = 0;
    virtual void on_hub_closed(message_ptr closing) = 0;  // the mount stops or restarts: write it, close
    // A listener with its sid started (the sessions post it to their strand); a reader without a sid
    // is never told.
    void on_listener_start(const listener_start&) override {}

    // Every message up to this seq is written or was not for it (set by the subscriber).
    std::atomic<uint64_t> done_seq{0};
    // The rate whose decimated messages it reads (set by the hub: attach, set_rate, lowering).
    std::atomic<int> rate{default_rate};
    // Whether it takes spectra as binary columns (set by the hub: attach, set_rate).
    std::atomic<bool> columns{false};
};

// Delivery latency buckets (seconds): from the end of the analysis to the message written.
inline constexpr std::array<double, 11> latency_buckets{0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5};

// Deliveries counted by a session (or a shard's run over its sessions) and added to the hub's
// counters at once: one set of atomic additions per batch instead of per message.
struct delivery_tally {
    uint64_t delivered = 0;
    std::array<uint64_t, latency_buckets.size() + 1> latency{};
    uint64_t latency_sum_us = 0;
    void add(std::chrono::steady_clock::time_point made, std::chrono::steady_clock::time_point written);
};

struct event_counters {
    uint64_t subscribers = 0, subscriber_peak = 0, connects = 0, refused = 0;
    uint64_t slow_closes = 0;  // closed with 1008 for falling behind
    uint64_t messages = 0;     // published into the ring
    uint64_t delivered = 0;    // written to a subscriber (each subscriber's count)
    uint64_t dropped = 0;      // framewise messages a lagging subscriber was not sent
    uint64_t ring_messages = 0, ring_bytes = 0;  // what the ring holds now (serialized forms)
    std::array<uint64_t, latency_buckets.size() + 1> latency{};  // per bucket, the last is +Inf
    double latency_sum = 0;
};

class event_hub : public std::enable_shared_from_this<event_hub> {
public:
    explicit event_hub(event_hub_settings settings);
    ~event_hub();
    event_hub(const event_hub&) = delete;
    event_hub& operator=(const event_hub&) = delete;

    const event_hub_settings& settings() const { return settings_; }
    void set_catalog(std::shared_ptr<const catalog> c);
    std::shared_ptr<const catalog> get_catalog() const;
    // The mount's listeners that gave a sid, and their start frames (listeners record, subscribers watch).
    const std::shared_ptr<sync_registry>& sync() const { return sync_; }

    // The producers. publish(event): the analysis lane's thread; publish(news): any thread;
    // tick: the clock's thread, each block (its end frame: the stream time now), which also
    // checks the subscribers' lag every check_seconds.
    void publish(const analysis_event& e);
    void publish(const news& n);
    void tick(int64_t stream_frame);
    int64_t stream_frame() const { return stream_frame_.load(std::memory_order_relaxed); }
    uint64_t last_seq() const;
    // A message of a finite feed's own (an item's progress), made under the hub's lock with the
    // next seq: any thread.
    using message_maker = std::function<message_ptr(uint64_t seq, std::chrono::steady_clock::time_point made)>;
    void publish(const message_maker& make);
    // Ends a finite feed (an item's analysis): the framewise intervals still open are published,
    // then the message `last` makes (its `closing` tells the sessions to close after it); later
    // joins are refused. Idempotent, and nothing after close().
    void finish(const message_maker& last);

    // Publishes `closing` news (reason "stopped", "restarted", "shutdown") and tells every
    // subscriber; later joins are refused. Idempotent.
    void close(const std::string& reason);

    // A place under the mount's and the server's caps, held by the subscriber's session.
    class place {
    public:
        explicit place(std::shared_ptr<event_hub> h) : hub_(std::move(h)) {}
        ~place();
        place(const place&) = delete;
        place& operator=(const place&) = delete;

    private:
        std::shared_ptr<event_hub> hub_;
    };
    struct join_result {
        std::shared_ptr<event_hub::place> slot;
        std::string refusal;  // when there is none: which cap is full (503)
    };
    join_result try_join();

    // Starts reading at `rate`; the cursor it starts from: now, or after `last_event_id` when the
    // ring still holds everything after it (`resume` says which).
    // `columns`: it takes spectra as binary columns (made for its rate only while someone does).
    uint64_t attach(const std::shared_ptr<feed_reader>& r, int rate, bool columns, std::optional<uint64_t> last_event_id,
                    std::optional<resume_info>& resume);
    void detach(feed_reader* r);
    void set_rate(feed_reader& r, int rate, bool columns);

    enum class take_result { data, none, lost, closed };
    // The messages after `cursor` for `rate` (shared ones and that rate's), at most `max`, into
    // `out`; `cursor` moves past what was looked at. none: `waiter` is woken once by the next
    // publish. lost: the ring no longer holds the next one (it fell too far behind).
    take_result take(uint64_t& cursor, int rate, std::vector<message_ptr>& out, size_t max,
                     const std::shared_ptr<feed_waiter>& waiter);

    // State the hub's WebSocket subscribers share (their wake-up shards), made by `make` when
    // none is alive. The hub keeps it weakly: the subscribers hold it, so it goes with the last of
    // them, on the threads of the io_context its strands belong to (never after that io_context).
    std::shared_ptr<void> session_state(const std::function<std::shared_ptr<void>()>& make);
    unsigned subscribers() const { return static_cast<unsigned>(subscribers_.load(std::memory_order_relaxed)); }

    // The sessions' accounting.
    void count_delivered(std::chrono::steady_clock::time_point made, std::chrono::steady_clock::time_point written);
    void count_delivered(delivery_tally& tally);  // adds it and empties it
    void count_slow();
    event_counters counters() const;

private:
    struct tier {
        decimator dec;
        unsigned readers = 0;
        unsigned column_readers = 0;  // of which take spectra as binary columns
        std::chrono::steady_clock::time_point idle_since{};
    };
    struct reader_entry {
        std::weak_ptr<feed_reader> reader;
        feed_reader* key = nullptr;
        std::chrono::steady_clock::time_point lowered{};
        int asked = 0;  // the rate it subscribed with: a lowered rate is raised back toward it
        std::chrono::steady_clock::time_point strained{};  // when it last lagged over an eighth of the queue
    };
    void append(message_ptr m);  // under mutex_
    // An interval of `rate`'s decimator, in the forms its readers take (under mutex_).
    void append_interval(int rate, const tier& t, const interval_values& v);
    uint64_t next_seq() { return next_seq_++; }  // under mutex_
    void add_tier(int rate, bool columns);     // under mutex_
    void remove_tier(int rate, bool columns);  // under mutex_
    std::vector<std::shared_ptr<feed_waiter>> take_waiters();  // under mutex_
    void check(std::chrono::steady_clock::time_point now);

    const event_hub_settings settings_;
    const std::shared_ptr<sync_registry> sync_ = std::make_shared<sync_registry>();
    std::atomic<int64_t> stream_frame_{0};

    mutable std::mutex mutex_;
    std::shared_ptr<const catalog> catalog_;
    std::deque<message_ptr> ring_;
    size_t ring_bytes_ = 0;
    uint64_t front_seq_;  // the seq of ring_.front() (or of the next message when empty)
    uint64_t next_seq_;
    std::map<int, tier> tiers_;
    std::vector<reader_entry> readers_;
    std::vector<std::shared_ptr<feed_waiter>> waiters_;
    std::weak_ptr<void> session_state_;
    bool closed_ = false;
    int64_t last_check_frame_ = 0;

    std::atomic<uint64_t> subscribers_{0}, peak_{0}, connects_{0}, refused_{0}, slow_{0}, messages_{0}, delivered_{0},
        dropped_{0};
    // When the last subscriber or reader left, steady_clock ticks (none yet: the beginning of
    // time): once none has been there for longer than the ring's window, no reconnect can resume
    // from it, so the ring stops holding messages (a mount nobody watches keeps one, not 30 s of
    // them). A new hub starts so: a reconnect's id from a previous hub (a mount restarted) is not
    // in its ring.
    std::atomic<std::chrono::steady_clock::rep> last_left_{std::numeric_limits<std::chrono::steady_clock::rep>::min()};
    std::array<std::atomic<uint64_t>, latency_buckets.size() + 1> latency_{};
    std::atomic<uint64_t> latency_sum_us_{0};
};

}  // namespace timeside::server::events
