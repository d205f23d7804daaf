// The open connections, so that the server can count them (the connection cap, /api/status) and
// reach every one of them on SIGTERM: drain() lets a response in flight finish, close() does not
// wait. Sessions register themselves on start and leave when they are destroyed.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace timeside::server::http {

class connection {
public:
    virtual ~connection() = default;
    // Both may be called from any thread: a session posts the work to its own strand.
    virtual void drain() = 0;  // finish the response in flight (if any), then close
    virtual void close() = 0;  // close now
};

class connection_registry {
public:
    // Returns the registration id; `open_count` receives the count including this one.
    uint64_t add(std::weak_ptr<connection> c, size_t& open_count);
    void remove(uint64_t id);
    size_t count() const;

    // From now on, new connections are refused and every open one is asked to drain.
    void drain_all();
    void close_all();
    bool draining() const;

private:
    template <class F>
    void for_each(F f);

    mutable std::mutex mutex_;
    std::unordered_map<uint64_t, std::weak_ptr<connection>> open_;
    uint64_t next_id_ = 1;
    bool draining_ = false;
};

}  // namespace timeside::server::http
