// chunk_queue: splitting and joining buffers at exact chunk boundaries, with timestamps carried
// to each chunk's first frame; a timestamp jump (a gap in the stream) starts a new chunk.
#include "decoders/chunk_queue.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace timeside {

namespace {
constexpr int64_t ns_per_s = 1000000000;
}

chunk_queue::chunk_queue(int channels, int samplerate, int64_t chunk_frames, size_t max_ready)
    : channels_(channels), samplerate_(samplerate),
      chunk_samples_(static_cast<size_t>(chunk_frames) * static_cast<size_t>(channels)),
      max_ready_(std::max<size_t>(1, max_ready)) {
    filling_.samples.reserve(chunk_samples_);
}

void chunk_queue::seal() {
    if (filling_.samples.empty()) return;
    ready_.push_back(std::move(filling_));
    filling_ = {};
    filling_.samples.reserve(chunk_samples_);
    ready_cv_.notify_one();
}

bool chunk_queue::push(const float* samples, int64_t frames, int64_t pts_ns) {
    std::unique_lock lock(mutex_);
    if (stopped_) return false;
    const int64_t frame_ns = ns_per_s / std::max(1, samplerate_);
    // A gap or an overlap of more than a frame: the chunk so far ends here.
    if (pts_ns >= 0 && next_pts_ >= 0 && std::llabs(pts_ns - next_pts_) > frame_ns) seal();
    int64_t done = 0;
    while (done < frames) {
        if (filling_.samples.empty()) {
            filling_.pts = pts_ns < 0 ? -1 : pts_ns + done * ns_per_s / samplerate_;
        }
        const size_t room = (chunk_samples_ - filling_.samples.size()) / static_cast<size_t>(channels_);
        const int64_t take = std::min<int64_t>(static_cast<int64_t>(room), frames - done);
        const float* from = samples + done * channels_;
        filling_.samples.insert(filling_.samples.end(), from, from + take * channels_);
        done += take;
        if (filling_.samples.size() == chunk_samples_) {
            // Once full, wait until the reader has taken half: one wake-up per several chunks.
            if (ready_.size() >= max_ready_)
                space_cv_.wait(lock, [&] { return ready_.size() <= max_ready_ / 2 || stopped_; });
            if (stopped_) return false;
            seal();
        }
    }
    next_pts_ = pts_ns < 0 ? -1 : pts_ns + frames * ns_per_s / samplerate_;
    return true;
}

void chunk_queue::finish() {
    std::lock_guard lock(mutex_);
    seal();
    finished_ = true;
    ready_cv_.notify_all();
}

void chunk_queue::stop() {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    space_cv_.notify_all();
    ready_cv_.notify_all();
}

chunk_queue::status chunk_queue::pop(std::vector<float>& out, int64_t& pts_ns, std::chrono::milliseconds wait) {
    std::unique_lock lock(mutex_);
    if (!ready_cv_.wait_for(lock, wait, [&] { return !ready_.empty() || finished_ || stopped_; }))
        return status::waiting;
    if (ready_.empty()) return stopped_ && !finished_ ? status::waiting : status::end;
    chunk c = std::move(ready_.front());
    ready_.pop_front();
    if (ready_.size() <= max_ready_ / 2) space_cv_.notify_one();
    lock.unlock();
    pts_ns = c.pts;
    if (out.empty()) out.swap(c.samples);
    else out.insert(out.end(), c.samples.begin(), c.samples.end());
    return status::chunk;
}

}  // namespace timeside
