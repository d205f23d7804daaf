// What the WebSocket and SSE sessions share: a subscriber's side of the hub (its place, its
// cursor in the ring, its subscription) and the order of what it writes: its private messages
// (hello, subscribed, pong, error) first, then the feed's messages it asked for, one at a time.
// Used on the session's strand only.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "server/events/event_hub.hpp"
#include "server/events/subscription.hpp"

namespace timeside::server::events {

// One thing to write: a shared message of the feed, or a private one.
struct outgoing {
    message_ptr shared;
    std::shared_ptr<const std::string> own;
    std::string own_head;  // WebSocket: a private message's frame head (a shared one has its own, made once)
    const std::string& json() const { return shared ? shared->json : *own; }
    const std::string& ws_head() const { return shared ? shared->ws_head : own_head; }
    // The hub's closing news ("stopped", "restarted", "shutdown"): close after it; else empty.
    std::string closing() const { return shared ? shared->closing : std::string(); }
};

class feed_cursor {
public:
    feed_cursor(std::shared_ptr<event_hub> hub, std::shared_ptr<event_hub::place> place, subscription sub);

    // Starts reading the feed (now, or after `last_event_id`) and queues the hello.
    void attach(const std::shared_ptr<feed_reader>& self, std::optional<uint64_t> last_event_id = std::nullopt);
    void detach(feed_reader* self);
    // A new subscription from the client: its rate and filter apply from the next message on;
    // a `subscribed` message confirms it.
    // A new sid is watched in the mount's sync_registry (its start_frame, if known, is in the
    // `subscribed`).
    void resubscribe(const std::shared_ptr<feed_reader>& self, subscription sub);
    // A listener with the subscription's sid started: a `start_frame` message says where.
    void listener_started(const listener_start& start);
    // The hub lowered its rate (it was falling behind): a `subscribed` message says so.
    void rate_changed(int rate, bool raised);

    // Private messages; false when too many wait (a client sending pings and reading nothing).
    bool push_private(std::string json);
    void push_closing(message_ptr closing);

    enum class next_result { item, idle, lost, closed };
    // The next thing to write. idle: nothing now, `waiter` is woken when something comes.
    next_result next(outgoing& out, const std::shared_ptr<feed_waiter>& waiter, feed_reader& self);
    // `item` is written: accounting (delivery latency) and the cursor's done mark.
    void written(const outgoing& item, feed_reader& self);
    // The cursor's done mark alone, after a write of several items whose deliveries are counted
    // by the caller (a delivery_tally).
    void mark_done(feed_reader& self);

    event_hub& hub() { return *hub_; }
    const subscription& sub() const { return sub_; }
    uint64_t start_seq() const { return start_seq_; }

private:
    void watch(const std::shared_ptr<feed_reader>& self);

    std::shared_ptr<event_hub> hub_;
    std::shared_ptr<event_hub::place> place_;
    std::shared_ptr<const catalog> catalog_;
    subscription sub_;
    uint64_t cursor_ = 0;     // the last seq taken from the hub
    uint64_t start_seq_ = 0;  // the cursor at attach: the hello's seq
    // Queues as vectors read from an index (a deque allocates ~600 bytes as it is made: with
    // 10,000 subscribers that is most of their memory); emptied when read to the end.
    std::vector<std::shared_ptr<const std::string>> private_;
    size_t private_at_ = 0;
    std::vector<message_ptr> shared_;  // taken, not written: from shared_at_ on
    size_t shared_at_ = 0;
    message_ptr closing_;
    bool closing_sent_ = false;
    uint64_t listener_ = 0;  // the sync_registry's listener whose start the subscriber knows
};

}  // namespace timeside::server::events
