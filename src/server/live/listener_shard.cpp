// The shards of a hub live in the hub (hub::listener_state), made on the io_context of the first
// listener's connection; a wake-up resumes the parked listeners in the order they parked.
#include "server/live/listener_shard.hpp"

#include <algorithm>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include "server/live/listener_session.hpp"

namespace timeside::server::live {

namespace asio = boost::asio;

namespace {
using io_strand = asio::strand<asio::io_context::executor_type>;

struct shard_set {
    std::vector<std::shared_ptr<listener_shard>> shards;
    std::atomic<size_t> next{0};
};
}  // namespace

void listener_shard::on_chunks() {
    asio::post(strand_, [self = shared_from_this()] { self->run(); });
}

void listener_shard::run() {
    registered_ = false;
    running_.swap(waiting_);  // those that find nothing again park in waiting_ anew
    for (auto& l : running_) l->resume();
    running_.clear();
}

void listener_shard::unpark(const listener_session* l) {
    std::erase_if(waiting_, [l](const auto& w) { return w.get() == l; });
}

std::shared_ptr<listener_shard> shard_for(hub& h, const asio::any_io_executor& connection_executor) {
    const io_strand* strand = connection_executor.target<io_strand>();
    if (!strand) return std::make_shared<listener_shard>(connection_executor);
    const auto inner = strand->get_inner_executor();
    auto state = std::static_pointer_cast<shard_set>(h.listener_state([&] {
        auto set = std::make_shared<shard_set>();
        const unsigned count = std::clamp(2 * std::thread::hardware_concurrency(), 2u, 16u);
        for (unsigned i = 0; i < count; ++i)
            set->shards.push_back(std::make_shared<listener_shard>(asio::make_strand(inner)));
        return std::shared_ptr<void>(set);
    }));
    return state->shards[state->next.fetch_add(1, std::memory_order_relaxed) % state->shards.size()];
}

}  // namespace timeside::server::live
