// audio_feed: fan-out of block pointers to bounded readers; mount_input: lookup and retries.
#include "server/live/audio_feed.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace timeside::server::live {

using namespace std::chrono_literals;

void audio_feed::reader::push(const block_ptr& b, int64_t max_frames) {
    std::lock_guard lock(mutex_);
    blocks_.push_back(b);
    frames_ += b->frames();
    while (frames_ - blocks_.front()->frames() + offset_ >= max_frames && blocks_.size() > 1) {
        const int64_t unread = blocks_.front()->frames() - offset_;
        frames_ -= unread;
        dropped_ += unread;
        offset_ = 0;
        blocks_.pop_front();
    }
}

int64_t audio_feed::reader::dropped_frames() const {
    std::lock_guard lock(mutex_);
    return dropped_;
}

void audio_feed::reader::close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
}

live_input::status audio_feed::reader::read(std::vector<float>& out, int64_t max_frames, int channels) {
    std::lock_guard lock(mutex_);
    if (blocks_.empty()) {
        primed_ = false;
        return closed_ ? live_input::status::ended : live_input::status::waiting;
    }
    if (!primed_) {
        if (blocks_.size() < 2 && !closed_) return live_input::status::waiting;
        primed_ = true;
    }
    int64_t done = 0;
    while (done < max_frames && !blocks_.empty()) {
        const block& b = *blocks_.front();
        const int64_t n = std::min(max_frames - done, b.frames() - offset_);
        const int in_ch = b.channels();
        for (int64_t f = offset_; f < offset_ + n; ++f)
            for (int c = 0; c < channels; ++c) {
                // Same channels: copied; fewer: the first ones; more: the last one repeated
                // (mono to stereo), except stereo to mono, which is averaged.
                float v = in_ch == 2 && channels == 1 ? 0.5f * (b.at(f, 0) + b.at(f, 1)) : b.at(f, std::min(c, in_ch - 1));
                out.push_back(v);
            }
        offset_ += n;
        done += n;
        frames_ -= n;
        if (offset_ == b.frames()) {
            blocks_.pop_front();
            offset_ = 0;
        }
    }
    return live_input::status::data;
}

live_input::status audio_feed::reader::take(std::vector<block_ptr>& out) {
    std::lock_guard lock(mutex_);
    if (blocks_.empty()) return closed_ ? live_input::status::ended : live_input::status::waiting;
    out.insert(out.end(), blocks_.begin(), blocks_.end());
    blocks_.clear();
    offset_ = frames_ = 0;
    return live_input::status::data;
}

void audio_feed::publish(const block_ptr& b) {
    std::lock_guard lock(mutex_);
    std::erase_if(readers_, [&](const std::weak_ptr<reader>& w) {
        auto r = w.lock();
        if (r) r->push(b, max_frames_);
        return !r;
    });
}

void audio_feed::close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    for (auto& w : readers_)
        if (auto r = w.lock()) r->close();
    readers_.clear();
}

std::shared_ptr<audio_feed::reader> audio_feed::subscribe(double max_seconds) {
    auto r = std::make_shared<reader>();
    std::lock_guard lock(mutex_);
    max_frames_ = std::max<int64_t>(max_frames_, static_cast<int64_t>(max_seconds * format_.samplerate));
    if (closed_) r->close();
    else readers_.push_back(r);
    return r;
}

mount_input::mount_input(std::string mount_id, feed_finder find) : id_(std::move(mount_id)), find_(std::move(find)) {}

void mount_input::start(audio_format format) {
    format_ = format;
}

live_input::status mount_input::read(std::vector<float>& out, int64_t max_frames, std::chrono::milliseconds) {
    if (!reader_) {
        // Looked up at most twice a second: the other mount may come (back) later.
        const auto now = std::chrono::steady_clock::now();
        if (now < next_lookup_ || !find_) return status::waiting;
        next_lookup_ = now + 500ms;
        auto feed = find_(id_);
        if (!feed) {
            error_ = fmt::format("mount {}: no such mount running", id_);
            return status::waiting;
        }
        if (feed->format().samplerate != format_.samplerate) {
            error_ = fmt::format("mount {} runs at {} Hz, this mount at {} Hz: it cannot be its fallback", id_,
                                 feed->format().samplerate, format_.samplerate);
            return status::failed;
        }
        error_.clear();
        reader_ = feed->subscribe();
    }
    const auto st = reader_->read(out, max_frames, format_.channels);
    if (st == status::ended) {
        reader_.reset();  // the other mount stopped: look it up again later
        return status::waiting;
    }
    return st;
}

void mount_input::stop() noexcept {
    reader_.reset();
}

}  // namespace timeside::server::live
