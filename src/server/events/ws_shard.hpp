// Wake-up shards of an event hub's WebSocket subscribers (as listener_shard for a live hub's
// listeners): a strand that a few thousand subscribers share. The hub wakes a shard, not each
// subscriber; the shard resumes its parked subscribers in one handler, each writing everything
// that arrived in one gathered write. Wake-ups come at most every `interval` (more subscribers,
// a longer interval, up to max_wake_seconds): a crowd's writes carry several messages each.
// One timer per shard also does every subscriber's keep-alive (pings, dead peers, close grace).
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/steady_timer.hpp>

#include "server/events/event_hub.hpp"
#include "server/events/feed_cursor.hpp"

namespace timeside::server::events {

class ws_session;

// What one write of a subscriber carries: the 101 head and control frames first, the feed's
// frames, the close frame last; `buffers` over all of it. The shard's, while its subscribers
// write one at a time; a subscriber's own while the socket has not taken all of it.
struct ws_batch {
    std::string head;
    std::vector<outgoing> items;
    std::string tail;
    std::vector<boost::asio::const_buffer> buffers;
    void fill();
    void clear();
};

// How often a shard may wake: the subscribers it has / wake_writes_per_second seconds, within
// [0, max_wake_seconds]. A few subscribers get each message as it comes; 10,000 at most
// max_wake_seconds later, in fewer, larger writes.
struct wake_policy {
    double wake_writes_per_second = 100000;
    double max_wake_seconds = 0.002;
    std::chrono::milliseconds sweep{250};  // the keep-alive pass over the shard's subscribers
};

class ws_shard : public feed_waiter, public std::enable_shared_from_this<ws_shard> {
public:
    // `owner`: what the shard keeps alive while it lives (the set of shards it was made in).
    ws_shard(boost::asio::any_io_executor strand, std::weak_ptr<event_hub> hub, wake_policy policy,
             std::shared_ptr<void> owner = nullptr);
    const boost::asio::any_io_executor& executor() const { return strand_; }

    // On the strand. Whether the shard is registered for the hub's next wake-up already: a
    // subscriber that parks registers it (through take) only when it is not.
    bool registered() const { return registered_; }
    void set_registered() { registered_ = true; }
    void park(std::shared_ptr<ws_session> s) { waiting_.push_back(std::move(s)); }
    void unpark(const ws_session* s);
    // On the strand: a subscriber joins the keep-alive pass (and the count behind the interval)
    // until it leaves; `slot` is where it is in the shard, for a constant-time leave.
    void join(ws_session* s, size_t& slot);
    void leave(size_t slot);

    void on_messages() override;  // any thread

    // On the strand: what a subscriber gathers while it writes, shared by the shard's subscribers
    // (they run one at a time and empty these before they return; a write the socket does not
    // take at once keeps its own copy).
    ws_batch& scratch() { return scratch_; }
    std::array<char, 16 * 1024>& read_buffer() { return read_buffer_; }
    // Deliveries counted in a wake-up's run, added to the hub's counters at its end.
    delivery_tally& tally() { return tally_; }
    void flush_tally();
    // After a subscriber's write: its deliveries counted now when it wrote outside a wake-up's run
    // (its own next turn, a reply, the end of an async write), else with the run's.
    void settle_tally() {
        if (!in_run_) flush_tally();
    }

private:
    void wake();
    void run();
    void arm_sweep();
    void sweep();

    boost::asio::any_io_executor strand_;
    std::weak_ptr<event_hub> hub_;
    std::shared_ptr<void> owner_;
    wake_policy policy_;
    boost::asio::steady_timer wake_timer_, sweep_timer_;
    std::chrono::steady_clock::time_point last_run_{};
    bool wake_armed_ = false;
    bool sweep_armed_ = false;
    bool registered_ = false;
    bool in_run_ = false;
    std::vector<std::shared_ptr<ws_session>> waiting_, running_;
    std::vector<ws_session*> members_;
    ws_batch scratch_;
    std::array<char, 16 * 1024> read_buffer_{};
    delivery_tally tally_;
};

// The shard for a new subscriber of `h` whose connection runs on `connection_executor` (a strand
// of the server's io_context): two per core on that io_context, handed out in turn, each made when
// its turn finds none alive. Subscribers hold their shard and shards their set (the hub only
// weakly): all of it goes with the last subscriber. An executor of another kind gets a shard of
// its own.
std::shared_ptr<ws_shard> ws_shard_for(event_hub& h, const boost::asio::any_io_executor& connection_executor);

}  // namespace timeside::server::events
