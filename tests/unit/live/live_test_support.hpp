// Helpers for the live engine's tests: waiting on a condition with a deadline, a chunk_target
// that records what an output published, and a pushed source the test scripts (audio that
// arrives by the wall clock, as a source client sends it, then ends or fails on cue).
#pragma once

#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "../test_support.hpp"
#include "server/live/chunk.hpp"
#include "server/live/live_input.hpp"

namespace timeside::test {


class recording_target : public server::live::chunk_target {
public:
    void publish(server::live::chunk_ptr chunk) override {
        std::lock_guard lock(mutex_);
        chunks_.push_back(std::move(chunk));
    }
    std::vector<server::live::chunk_ptr> chunks() const {
        std::lock_guard lock(mutex_);
        return chunks_;
    }
    std::vector<unsigned char> bytes() const {
        std::vector<unsigned char> all;
        for (const auto& c : chunks()) all.insert(all.end(), c->bytes.begin(), c->bytes.end());
        return all;
    }
    int64_t last_end_frame() const {
        std::lock_guard lock(mutex_);
        return chunks_.empty() ? 0 : chunks_.back()->end_frame;
    }

private:
    mutable std::mutex mutex_;
    std::vector<server::live::chunk_ptr> chunks_;
};

// A pushed source whose samples all equal `value`: `burst_seconds` of audio at once, then audio
// as the wall clock makes it (real time); end() and fail() take effect at the next read.
class scripted_source : public server::live::live_input {
public:
    explicit scripted_source(float value, double burst_seconds = 0.0) : value_(value), burst_(burst_seconds) {}
    void start(audio_format format) override {
        format_ = format;
        start_ = std::chrono::steady_clock::now();
        started_ = true;
    }
    // Like a real pushed source, a read with nothing due yet waits (up to `timeout`) for the
    // next frame the clock makes, instead of returning at once.
    status read(std::vector<float>& out, int64_t max_frames, std::chrono::milliseconds timeout) override {
        if (failed_) return status::failed;
        if (ended_ || stopped_) return status::ended;
        const auto due_now = [&] {
            const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
            return static_cast<int64_t>((elapsed + burst_) * format_.samplerate);
        };
        if (due_now() <= delivered_ && timeout.count() > 0) {
            const auto next = start_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                           std::chrono::duration<double>((delivered_ + 1.0) / format_.samplerate - burst_));
            std::this_thread::sleep_until(std::min(next, std::chrono::steady_clock::now() + timeout));
            if (failed_) return status::failed;
            if (ended_ || stopped_) return status::ended;
        }
        const int64_t n = std::min(max_frames, due_now() - delivered_);
        if (n <= 0) return status::waiting;
        out.insert(out.end(), static_cast<size_t>(n * format_.channels), value_);
        delivered_ += n;
        if (!title_sent_ && !title_.empty()) {
            title_sent_ = true;
            pending_title_ = title_;
        }
        return status::data;
    }
    std::string error() const override { return "scripted source: broke on purpose"; }
    std::optional<std::string> take_title() override { return std::exchange(pending_title_, std::nullopt); }
    std::string describe() const override { return "scripted source"; }
    void stop() noexcept override { stopped_ = true; }

    void end() { ended_ = true; }
    void fail() { failed_ = true; }
    void set_title(std::string t) { title_ = std::move(t); }
    bool stopped() const { return stopped_; }
    bool started() const { return started_; }

private:
    float value_;
    double burst_;
    audio_format format_;
    std::chrono::steady_clock::time_point start_;
    int64_t delivered_ = 0;
    std::atomic<bool> ended_{false}, failed_{false}, stopped_{false}, started_{false};
    std::string title_;
    bool title_sent_ = false;
    std::optional<std::string> pending_title_;
};

inline double rms_db(const float* s, size_t n) {
    double sum = 0;
    for (size_t i = 0; i < n; ++i) sum += static_cast<double>(s[i]) * s[i];
    return n ? 10 * std::log10(sum / static_cast<double>(n) + 1e-30) : -300.0;
}

}  // namespace timeside::test
