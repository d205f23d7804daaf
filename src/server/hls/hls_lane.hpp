// hls_lane: the MP3 encode of a mount that has no mp3 output, run only while HLS is asked for.
// A playlist or segment request starts it (touch()); it reads the mount's blocks from its
// audio_feed on a thread of its own, encodes them and hands the frames to the mount's
// hls_segmenter; after idle_seconds without a request it stops and the segmenter is cleared
// (sequence numbers go on when it starts again). docs/live.md, "HLS".
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "server/live/audio_feed.hpp"
#include "server/hls/hls_segmenter.hpp"

namespace timeside::server::hls {

using live::audio_feed;

struct hls_lane_settings {
    std::string encoder_spec;    // "mp3_encoder:mode=cbr,bitrate=128"
    double idle_seconds = 36;    // 3 windows of segments by default (hls_lane_idle_seconds)
    std::chrono::milliseconds poll{20};  // how often the lane takes the blocks the feed holds
};

// Three windows: a player that reloads the playlist once a target duration never comes near it,
// and a cache in front refreshes the playlist at least once a window while anyone watches.
double hls_lane_idle_seconds(double segment_seconds, unsigned window);

class hls_lane {
public:
    // `feed`: the mount's audio (mount::feed()). Installs itself as `hls`'s demand hook (through
    // a weak pointer: requests that outlive the lane find no encode, and wait for none).
    static std::shared_ptr<hls_lane> make(hls_lane_settings settings, std::shared_ptr<hls_segmenter> hls,
                                          std::shared_ptr<audio_feed> feed);
    hls_lane(hls_lane_settings settings, std::shared_ptr<hls_segmenter> hls, std::shared_ptr<audio_feed> feed);
    ~hls_lane();
    hls_lane(const hls_lane&) = delete;
    hls_lane& operator=(const hls_lane&) = delete;

    // An HLS request: starts the encode if it is not running; any thread. False once stopped.
    bool touch();
    // Ends the encode for good (the mount stops); waiting playlist requests get their 503.
    void stop() noexcept;

    bool running() const { return running_.load(); }
    uint64_t starts() const { return starts_.load(); }
    const hls_lane_settings& settings() const { return settings_; }

private:
    void run();
    // Encodes until idle (true) or until the feed ends or stop() (false).
    bool encode();

    const hls_lane_settings settings_;
    const std::shared_ptr<hls_segmenter> hls_;
    const std::shared_ptr<audio_feed> feed_;

    std::atomic<int64_t> last_touch_{0};  // steady_clock ticks of the latest request
    std::atomic<bool> running_{false}, stop_{false};
    std::atomic<uint64_t> starts_{0};
    // Starting and ending the thread: touch() and the thread's decision to end take it, so a
    // request either finds the encode running (and keeps it so) or starts it.
    std::mutex mutex_;
    std::thread thread_;
};

}  // namespace timeside::server::hls
