// The shards of a hub live in the hub (event_hub::session_state), made on the io_context of the
// first subscriber's connection; a wake-up resumes the parked subscribers in the order they parked.
#include "server/events/ws_shard.hpp"

#include <algorithm>
#include <mutex>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include "server/events/ws_session.hpp"

namespace timeside::server::events {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

namespace {
using io_strand = asio::strand<asio::io_context::executor_type>;

struct shard_set {
    shard_set(asio::io_context::executor_type e, wake_policy p, size_t count) : io(e), policy(p), shards(count) {}
    asio::io_context::executor_type io;
    wake_policy policy;
    std::mutex mutex;
    std::vector<std::weak_ptr<ws_shard>> shards;  // each holds the set
    size_t next = 0;
};
}  // namespace

ws_shard::ws_shard(asio::any_io_executor strand, std::weak_ptr<event_hub> hub, wake_policy policy, std::shared_ptr<void> owner)
    : strand_(std::move(strand)),
      hub_(std::move(hub)),
      owner_(std::move(owner)),
      policy_(policy),
      wake_timer_(strand_),
      sweep_timer_(strand_) {}

void ws_shard::on_messages() {
    asio::post(strand_, [self = shared_from_this()] { self->wake(); });
}

void ws_shard::wake() {
    if (wake_armed_) return;  // a wake-up is due already: it takes this message too
    const double seconds = policy_.wake_writes_per_second > 0
                               ? std::min(policy_.max_wake_seconds, static_cast<double>(members_.size()) / policy_.wake_writes_per_second)
                               : 0.0;
    const auto due = last_run_ + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(seconds));
    if (clock::now() >= due) return run();
    wake_armed_ = true;
    wake_timer_.expires_at(due);
    wake_timer_.async_wait([self = shared_from_this()](boost::system::error_code) {
        self->wake_armed_ = false;
        self->run();
    });
}

void ws_shard::run() {
    last_run_ = clock::now();
    registered_ = false;
    running_.swap(waiting_);  // those that find nothing again park in waiting_ anew
    in_run_ = true;
    for (auto& s : running_) s->resume();
    in_run_ = false;
    running_.clear();
    flush_tally();
}

void ws_shard::flush_tally() {
    if (!tally_.delivered) return;
    if (auto h = hub_.lock()) h->count_delivered(tally_);
    tally_ = {};
}

void ws_shard::unpark(const ws_session* s) {
    std::erase_if(waiting_, [s](const auto& w) { return w.get() == s; });
}

void ws_shard::join(ws_session* s, size_t& slot) {
    slot = members_.size();
    members_.push_back(s);
    if (!sweep_armed_) arm_sweep();
}

void ws_shard::leave(size_t slot) {
    if (slot >= members_.size()) return;
    members_[slot] = members_.back();
    members_[slot]->moved_to(slot);
    members_.pop_back();
}

void ws_shard::arm_sweep() {
    sweep_armed_ = true;
    sweep_timer_.expires_after(policy_.sweep);
    sweep_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        self->sweep_armed_ = false;
        if (ec) return;
        self->sweep();
    });
}

// Every subscriber of the shard, once per sweep interval: pings after silence, dead peers and
// close handshakes that do not finish. Held while it runs: a subscriber may finish in it.
void ws_shard::sweep() {
    std::vector<std::shared_ptr<ws_session>> all;
    all.reserve(members_.size());
    for (auto* s : members_)
        if (auto held = s->weak_from_this().lock()) all.push_back(std::move(held));
    const auto now = clock::now();
    for (auto& s : all) s->keep_alive(now);
    if (!members_.empty()) arm_sweep();
}

std::shared_ptr<ws_shard> ws_shard_for(event_hub& h, const asio::any_io_executor& connection_executor) {
    const auto ping = std::chrono::milliseconds(static_cast<int64_t>(h.settings().ping_seconds * 1000));
    wake_policy policy;
    policy.sweep = std::clamp(ping / 4, std::chrono::milliseconds(10), std::chrono::milliseconds(250));
    const io_strand* strand = connection_executor.target<io_strand>();
    std::weak_ptr<event_hub> weak = h.shared_from_this();
    if (!strand) return std::make_shared<ws_shard>(connection_executor, weak, policy);
    auto set = std::static_pointer_cast<shard_set>(h.session_state([&] {
        const unsigned count = std::clamp(2 * std::thread::hardware_concurrency(), 2u, 16u);
        wake_policy each = policy;
        each.wake_writes_per_second /= count;
        return std::shared_ptr<void>(std::make_shared<shard_set>(strand->get_inner_executor(), each, count));
    }));
    std::lock_guard lock(set->mutex);
    auto& slot = set->shards[set->next++ % set->shards.size()];
    auto shard = slot.lock();
    if (!shard) {
        shard = std::make_shared<ws_shard>(asio::make_strand(set->io), weak, set->policy, set);
        slot = shard;
    }
    return shard;
}

}  // namespace timeside::server::events
