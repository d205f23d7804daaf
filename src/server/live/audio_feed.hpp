// audio_feed: a mount's audio offered to other mounts (fallback kind = mount). The mount's clock
// hands each block to every reader (the same block, no copy); a reader holds at most a second of
// it, oldest dropped, so a reader that stops reading costs the mount nothing. mount_input is the
// live_input a mount's fallback reads another mount through, looked up by id when it needs it
// (the other mount may be restarted by a reload).
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/block.hpp"
#include "server/live/live_input.hpp"

namespace timeside::server::live {

class audio_feed {
public:
    class reader {
    public:
        // Frames from the blocks received, converted to `channels`; `waiting` when empty (and
        // until two blocks are there after a start or a dry spell: the two clocks' phases
        // differ), `ended` once the feed closed and the rest was read.
        live_input::status read(std::vector<float>& out, int64_t max_frames, int channels);
        // The whole blocks received since the last take, positions intact (a reader that encodes
        // them, as the HLS lane does); `ended` once the feed closed and the rest was taken. A
        // reader that took too late finds a gap between two blocks' positions.
        live_input::status take(std::vector<block_ptr>& out);
        // Frames dropped unread so far (the oldest, when the reader held its maximum).
        int64_t dropped_frames() const;

    private:
        friend class audio_feed;
        void push(const block_ptr& b, int64_t max_frames);
        void close();
        mutable std::mutex mutex_;
        std::deque<block_ptr> blocks_;
        int64_t offset_ = 0;  // frames of blocks_.front() already read
        int64_t frames_ = 0;  // unread frames held
        int64_t dropped_ = 0;  // unread frames dropped
        bool primed_ = false, closed_ = false;
    };

    explicit audio_feed(audio_format format) : format_(format) {}
    audio_format format() const { return format_; }

    // The mount's clock thread.
    void publish(const block_ptr& b);
    // The mount stopped: readers get `ended`.
    void close();
    std::shared_ptr<reader> subscribe(double max_seconds = 1.0);

private:
    audio_format format_;
    std::mutex mutex_;
    std::vector<std::weak_ptr<reader>> readers_;
    int64_t max_frames_ = 0;
    bool closed_ = false;
};

// Finds a running mount's feed by id; null when there is no such mount (now).
using feed_finder = std::function<std::shared_ptr<audio_feed>(const std::string&)>;

class mount_input : public live_input {
public:
    mount_input(std::string mount_id, feed_finder find);

    void start(audio_format format) override;
    status read(std::vector<float>& out, int64_t max_frames, std::chrono::milliseconds wait) override;
    std::string error() const override { return error_; }
    std::string describe() const override { return "mount " + id_; }
    void stop() noexcept override;

private:
    std::string id_;
    feed_finder find_;
    audio_format format_;
    std::shared_ptr<audio_feed::reader> reader_;
    std::chrono::steady_clock::time_point next_lookup_{};
    std::string error_;
};

}  // namespace timeside::server::live
