// A bounded multi-producer queue between the decoder and one lane: a full queue blocks the
// producer, so a slow consumer slows the decoder instead of growing memory; try_push() lets a
// live producer skip a consumer that cannot keep up instead of waiting for it. Notifications go
// out after the mutex is released: a thread woken while the notifier still held it would only
// block on the mutex, two context switches for one hand-over.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

namespace timeside {

template <class T>
class bounded_queue {
public:
    explicit bounded_queue(size_t capacity) : capacity_(capacity ? capacity : 1) {}

    // False if the queue was closed (the consumer failed or the run was cancelled).
    bool push(T item) {
        std::unique_lock lock(mutex_);
        // Once full, wait until the consumer has taken half: one wake-up per several items.
        if (items_.size() >= capacity_)
            not_full_.wait(lock, [&] { return items_.size() <= capacity_ / 2 || closed_; });
        if (closed_) return false;
        items_.push_back(std::move(item));
        lock.unlock();  // the woken consumer then finds the mutex free instead of waiting on it
        not_empty_.notify_one();
        return true;
    }

    enum class offer { pushed, full, closed };
    // Never waits: `full` when the queue holds `capacity` items (the item is dropped).
    offer try_push(T item) {
        {
            std::lock_guard lock(mutex_);
            if (closed_) return offer::closed;
            if (items_.size() >= capacity_) return offer::full;
            items_.push_back(std::move(item));
        }
        not_empty_.notify_one();
        return offer::pushed;
    }

    size_t size() const {
        std::lock_guard lock(mutex_);
        return items_.size();
    }
    size_t capacity() const { return capacity_; }

    // Empty optional once the queue is closed and drained.
    std::optional<T> pop() {
        std::unique_lock lock(mutex_);
        not_empty_.wait(lock, [&] { return !items_.empty() || closed_; });
        if (items_.empty()) return std::nullopt;
        T item = std::move(items_.front());
        items_.pop_front();
        const bool room = items_.size() <= capacity_ / 2;
        lock.unlock();
        if (room) not_full_.notify_one();
        return item;
    }

    // No more pushes; pop() drains what is there, then returns empty.
    void close() {
        std::lock_guard lock(mutex_);
        closed_ = true;
        not_empty_.notify_all();
        not_full_.notify_all();
    }

    // Drop everything and close: used when the run fails.
    void cancel() {
        std::lock_guard lock(mutex_);
        items_.clear();
        closed_ = true;
        not_empty_.notify_all();
        not_full_.notify_all();
    }

private:
    mutable std::mutex mutex_;
    std::condition_variable not_empty_, not_full_;
    std::deque<T> items_;
    size_t capacity_;
    bool closed_ = false;
};

}  // namespace timeside
