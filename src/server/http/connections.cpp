// The registry only holds weak pointers: it never keeps a finished session alive.
#include "server/http/connections.hpp"

#include <vector>

namespace timeside::server::http {

uint64_t connection_registry::add(std::weak_ptr<connection> c, size_t& open_count) {
    std::lock_guard lock(mutex_);
    const uint64_t id = next_id_++;
    open_.emplace(id, std::move(c));
    open_count = open_.size();
    return id;
}

void connection_registry::remove(uint64_t id) {
    std::lock_guard lock(mutex_);
    open_.erase(id);
}

size_t connection_registry::count() const {
    std::lock_guard lock(mutex_);
    return open_.size();
}

template <class F>
void connection_registry::for_each(F f) {
    // Calls happen outside the lock: a session may remove itself meanwhile.
    std::vector<std::shared_ptr<connection>> alive;
    {
        std::lock_guard lock(mutex_);
        for (auto& [id, weak] : open_)
            if (auto c = weak.lock()) alive.push_back(std::move(c));
    }
    for (auto& c : alive) f(*c);
}

void connection_registry::drain_all() {
    {
        std::lock_guard lock(mutex_);
        draining_ = true;
    }
    for_each([](connection& c) { c.drain(); });
}

void connection_registry::close_all() {
    for_each([](connection& c) { c.close(); });
}

bool connection_registry::draining() const {
    std::lock_guard lock(mutex_);
    return draining_;
}

}  // namespace timeside::server::http
