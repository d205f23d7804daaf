// input_buffer: a vector with a moving head, compacted once the head passes half of it.
#include "server/live/input_buffer.hpp"

#include <algorithm>
#include <utility>

namespace timeside::server::live {

input_buffer::input_buffer(int channels, int64_t capacity_frames)
    : channels_(channels), capacity_(static_cast<size_t>(std::max<int64_t>(1, capacity_frames) * channels)) {
    samples_.reserve(capacity_);
}

bool input_buffer::write(const float* samples, int64_t frames) {
    const size_t total = static_cast<size_t>(frames * channels_);
    size_t done = 0;
    std::unique_lock lock(mutex_);
    while (done < total) {
        space_cv_.wait(lock, [&] { return closed_ || samples_.size() - head_ < capacity_; });
        if (closed_) return false;
        if (head_ > 0 && head_ >= samples_.size() / 2) {
            samples_.erase(samples_.begin(), samples_.begin() + static_cast<std::ptrdiff_t>(head_));
            head_ = 0;
        }
        // Whole frames only: room is a multiple of the channel count.
        const size_t room = capacity_ - (samples_.size() - head_);
        const size_t n = std::min(room, total - done);
        samples_.insert(samples_.end(), samples + done, samples + done + n);
        done += n;
        written_ += static_cast<int64_t>(n) / channels_;
        data_cv_.notify_one();
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
    data_cv_.wait_for(lock, wait, [&] { return closed_ || end_ || samples_.size() > head_; });
    const size_t available = samples_.size() - head_;
    if (available == 0) {
        if (end_) return *end_;
        return closed_ ? live_input::status::ended : live_input::status::waiting;
    }
    const size_t n = std::min(available, static_cast<size_t>(max_frames * channels_));
    out.insert(out.end(), samples_.begin() + static_cast<std::ptrdiff_t>(head_),
               samples_.begin() + static_cast<std::ptrdiff_t>(head_ + n));
    head_ += n;
    if (head_ == samples_.size()) samples_.clear(), head_ = 0;
    read_ += static_cast<int64_t>(n) / channels_;
    // The title of the audio just read: the last mark at or before it.
    while (!titles_.empty() && titles_.front().first < read_) {
        title_ = std::move(titles_.front().second);
        titles_.pop_front();
    }
    space_cv_.notify_one();
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
    return static_cast<int64_t>(samples_.size() - head_) / channels_;
}

}  // namespace timeside::server::live
