// Wake-up shards of a hub's listeners: each shard is a strand that a few thousand listeners share.
// The hub wakes a shard once per wake-up (not each listener), and the shard resumes each of its
// idle listeners in one handler: with 10,000 listeners, a handful of handlers per wake-up instead
// of 10,000 posts, so the io_context's queue stays short (accepts are not starved) and no
// listener needs a strand of its own.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/buffer.hpp>

#include "server/live/hub.hpp"

namespace timeside::server::live {

class listener_session;

class listener_shard : public hub_waiter, public std::enable_shared_from_this<listener_shard> {
public:
    explicit listener_shard(boost::asio::any_io_executor strand) : strand_(std::move(strand)) {}
    const boost::asio::any_io_executor& executor() const { return strand_; }

    // On the strand. Whether the shard waits for the hub's next wake-up already: a listener
    // that finds nothing registers the shard (through hub::take) only when it does not.
    bool registered() const { return registered_; }
    void set_registered() { registered_ = true; }
    // On the strand: `l` is resumed at the next wake-up.
    void park(std::shared_ptr<listener_session> l) { waiting_.push_back(std::move(l)); }
    // On the strand: a listener that closed leaves at once. A parked listener holds its hub and
    // the hub its shards: without this, one closed once publishing stopped (a server shutting
    // down) would keep both alive for good.
    void unpark(const listener_session* l);

    void on_chunks() override;  // any thread: resumes every parked listener on the strand

    // On the strand: where a listener gathers the chunks it takes and the buffers it writes. The
    // shard's listeners run one at a time and each empties them before it returns (a write the
    // socket does not take at once keeps its own copy), so 10,000 listeners share a handful of
    // these instead of holding two vectors each.
    std::vector<chunk_ptr>& chunks() { return chunks_; }
    std::vector<boost::asio::const_buffer>& buffers() { return buffers_; }

private:
    void run();

    boost::asio::any_io_executor strand_;
    bool registered_ = false;
    std::vector<std::shared_ptr<listener_session>> waiting_, running_;
    std::vector<chunk_ptr> chunks_;
    std::vector<boost::asio::const_buffer> buffers_;
};

// The shard for a new listener of `h` whose connection runs on `connection_executor` (a strand of
// the server's io_context): the hub's shards are made on that io_context the first time, two per
// core, and handed out in turn. An executor of another kind gets a shard of its own.
std::shared_ptr<listener_shard> shard_for(hub& h, const boost::asio::any_io_executor& connection_executor);

}  // namespace timeside::server::live
