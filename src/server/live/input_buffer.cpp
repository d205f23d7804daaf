// input_buffer: a fixed ring of interleaved samples; writes and reads copy in at most two pieces.
#include "server/live/input_buffer.hpp"

#include <algorithm>
#include <utility>

namespace timeside::server::live {

input_buffer::input_buffer(int channels, int64_t capacity_frames)
    : channels_(channels),
      ring_(static_cast<size_t>(std::max<int64_t>(1, capacity_frames) * channels)),
      refill_(static_cast<size_t>(std::max<int64_t>(1, capacity_frames / 4) * channels)) {}

bool input_buffer::write(const float* samples, int64_t frames) {
    const size_t total = static_cast<size_t>(frames * channels_);
    size_t done = 0;
    std::unique_lock lock(mutex_);
    while (done < total) {
        // Held by a full ring, the producer waits for a quarter of it (or all it has left) to be
        // free: one wake per quarter of the ring, not one per block the reader takes.
        const size_t want = std::min(refill_, total - done);
        if (ring_.size() - count_ < want) {
            wanted_ = want;
            space_cv_.wait(lock, [&] { return closed_ || ring_.size() - count_ >= want; });
            wanted_ = 0;
        }
        if (closed_) return false;
        // Whole frames only: the capacity and the room are multiples of the channel count.
        const size_t n = std::min(ring_.size() - count_, total - done);
        const size_t tail = (head_ + count_) % ring_.size();
        const size_t first = std::min(n, ring_.size() - tail);
        std::copy_n(samples + done, first, ring_.begin() + static_cast<std::ptrdiff_t>(tail));
        std::copy_n(samples + done + first, n - first, ring_.begin());
        count_ += n;
        done += n;
        written_ += static_cast<int64_t>(n) / channels_;
        // Woken with the mutex free (see bounded_queue): unlocked around the notification.
        lock.unlock();
        data_cv_.notify_one();
        lock.lock();
    }
    return true;
}

void input_buffer::mark_title(std::string title) {
    std::lock_guard lock(mutex_);
    titles_.emplace_back(written_, std::move(title));
}

void input_buffer::finish(live_input::status how, std::string error) {
    std::lock_guard lock(mutex_);
    if (end_) return;
    end_ = how;
    error_ = std::move(error);
    data_cv_.notify_all();
}

void input_buffer::close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    data_cv_.notify_all();
    space_cv_.notify_all();
}

live_input::status input_buffer::read(std::vector<float>& out, int64_t max_frames, std::chrono::milliseconds wait) {
    std::unique_lock lock(mutex_);
    data_cv_.wait_for(lock, wait, [&] { return closed_ || end_ || count_ > 0; });
    if (count_ == 0) {
        if (end_) return *end_;
        return closed_ ? live_input::status::ended : live_input::status::waiting;
    }
    const size_t n = std::min(count_, static_cast<size_t>(max_frames * channels_));
    const size_t first = std::min(n, ring_.size() - head_);
    const auto at = ring_.begin() + static_cast<std::ptrdiff_t>(head_);
    out.insert(out.end(), at, at + static_cast<std::ptrdiff_t>(first));
    out.insert(out.end(), ring_.begin(), ring_.begin() + static_cast<std::ptrdiff_t>(n - first));
    head_ = (head_ + n) % ring_.size();
    count_ -= n;
    read_ += static_cast<int64_t>(n) / channels_;
    // The title of the audio just read: the last mark at or before it.
    while (!titles_.empty() && titles_.front().first < read_) {
        title_ = std::move(titles_.front().second);
        titles_.pop_front();
    }
    const bool room = wanted_ > 0 && ring_.size() - count_ >= wanted_;
    lock.unlock();
    if (room) space_cv_.notify_one();
    return live_input::status::data;
}

std::optional<std::string> input_buffer::take_title() {
    std::lock_guard lock(mutex_);
    return std::exchange(title_, std::nullopt);
}

std::string input_buffer::error() const {
    std::lock_guard lock(mutex_);
    return error_;
}

int64_t input_buffer::buffered_frames() const {
    std::lock_guard lock(mutex_);
    return static_cast<int64_t>(count_) / channels_;
}

}  // namespace timeside::server::live
