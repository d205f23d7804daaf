// hls_segmenter: a mount's HLS (RFC 8216) cut from its MP3 output's chunks, encoded once for
// listeners and HLS alike. Segments are MPEG audio packed audio (§3.4): an ID3 tag (the 90 kHz
// timestamp of the first frame, the title, analysis events as JSON), then whole MP3 frames, cut at
// the first frame boundary at or past segment_seconds. It keeps a window of segments and the
// playlist text; the live routes (live_routes.cpp, hls_reply.cpp) serve both. docs/live.md, "HLS".
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/analyzer.hpp"
#include "server/live/chunk.hpp"

namespace timeside::server::hls {

// A mount's MP3 output hands its chunks to live chunk targets; the segmenter is one.
using live::chunk_ptr;
using live::chunk_target;

struct hls_segment {
    uint64_t sequence = 0;    // EXT-X-MEDIA-SEQUENCE of this segment
    int64_t first_frame = 0;  // the stream frame of the first sample a decoder gives from here (codec delay counted)
    int64_t pts_90khz = 0;    // the ID3 timestamp: the first MP3 frame's time in the encoded stream
    int64_t codec_samples = 0;  // MP3 samples in the segment
    int mp3_rate = 0;
    double duration = 0;      // seconds: codec_samples / mp3_rate
    std::chrono::system_clock::time_point program_date{};  // wall clock of first_frame
    std::chrono::steady_clock::time_point published{};
    std::string name;  // "seg-{sequence}-{first_frame}.mp3"
    std::string etag;  // strong: a hash of the bytes
    bool discontinuity = false;  // EXT-X-DISCONTINUITY before it: the encode restarted (restart())
    unsigned events = 0;  // analysis events carried in its ID3 tag
    std::vector<unsigned char> bytes;  // ID3 tag, then the MP3 frames
};
using hls_segment_ptr = std::shared_ptr<const hls_segment>;

struct hls_settings {
    std::string mount_id;
    int samplerate = 44100;        // the mount's: the unit of first_frame
    double segment_seconds = 2.0;  // [hls] segment_seconds
    unsigned window = 6;           // [hls] window: segments in the playlist
    uint64_t first_sequence = 0;   // the first segment's number (hls_first_sequence)
    // Wall clock of stream frame 0 (EXT-X-PROGRAM-DATE-TIME); unset: taken at the first chunk,
    // as now minus the audio the chunk closes (the mount runs at real time).
    std::optional<std::chrono::system_clock::time_point> stream_start;
    unsigned max_events = 32;  // events waiting for their segments at a time; more are counted in events_dropped
};

struct hls_counters {
    uint64_t segments = 0;  // published since the mount started
    uint64_t sequence = 0;  // the newest segment's number (meaningful once segments > 0)
    uint64_t events = 0, events_dropped = 0;
    uint64_t playlist_requests = 0, segment_requests = 0, not_found = 0;
    double last_latency = 0;  // seconds from the newest segment's first frame (wall clock) to its publication
};

// A first sequence number never used before for this mount: tenths of a second since 1970 at
// `now`. A run numbers one per segment, and segments last 1 s or more ([hls] segment_seconds), so
// a restarted mount (its stream time starts again at 0) goes on from past the old numbers whatever
// its segment length was or is now, and no cache ever holds older bytes under a new segment's name.
uint64_t hls_first_sequence(std::chrono::system_clock::time_point now);

// The segment name's parts; nullopt when `name` is not "seg-{n}-{frame}.mp3" (decimal numbers,
// frame possibly negative, no leading zeros or signs elsewhere, within 64 bits).
struct hls_segment_name {
    uint64_t sequence = 0;
    int64_t first_frame = 0;
};
std::optional<hls_segment_name> parse_hls_segment_name(std::string_view name);

class hls_segmenter : public chunk_target {
public:
    // Throws usage_error for settings out of the ranges docs/live.md gives.
    explicit hls_segmenter(hls_settings settings);

    // The MP3 output's chunks, in order, from the mount's start (the encoder lane's thread).
    void publish(chunk_ptr chunk) override;
    // An analysis event (onset, beat, ... : not a framewise value) for the open segment's ID3 tag
    // (any thread). One whose audio is in a published segment goes in the next: its frame says
    // where it plays.
    void add_event(const analysis_event& e);
    // The title every segment from the next one on carries (TIT2); any thread.
    void set_title(std::string title);

    // The media playlist (any thread): the window's segments, newest last.
    std::shared_ptr<const std::string> playlist() const;
    // A segment still held (the window and two more, for players that read the previous
    // playlist: RFC 8216 §6.2.2); null when evicted or never made.
    hls_segment_ptr find(std::string_view name) const;
    std::vector<hls_segment_ptr> segments() const;  // the held ones, oldest first
    int target_duration() const { return target_duration_; }
    const hls_settings& settings() const { return settings_; }
    hls_counters counters() const;
    void count_playlist_request() { playlist_requests_.fetch_add(1, std::memory_order_relaxed); }
    void count_segment_request() { segment_requests_.fetch_add(1, std::memory_order_relaxed); }
    void count_not_found() { not_found_.fetch_add(1, std::memory_order_relaxed); }

    // An encode of its own (hls_lane): the chunks that follow come from a new encoder whose first
    // input frame is `stream_frame`; the open segment is dropped, and the next one is marked
    // EXT-X-DISCONTINUITY when segments are still listed. Sequence numbers go on.
    void restart(int64_t stream_frame);
    // The lane stopped: no segment is held or listed any more (the playlist is empty, its
    // EXT-X-MEDIA-SEQUENCE the next number); sequence numbers go on when it starts again.
    void clear();
    // A request for the playlist, while fewer than `listed` segments are listed: `give` is called
    // once, with the playlist when it lists `listed` segments, or with null at `deadline`
    // (expire_waiters) or when the encode feeding it ends (fail_waiters). Any thread; `give` is
    // called without the lock.
    using playlist_waiter = std::function<void(std::shared_ptr<const std::string>)>;
    void add_waiter(playlist_waiter give, std::chrono::steady_clock::time_point deadline, size_t listed = 1);
    size_t listed() const;  // segments in the playlist now
    void expire_waiters(std::chrono::steady_clock::time_point now);
    void fail_waiters();
    void close_waiters();  // fail_waiters(), and any added later is failed at once (the lane is gone)
    // The number the next segment will have: names below it are made or never will be.
    uint64_t next_sequence() const;
    // Who makes the segments, when it is an encode of its own that runs on demand (hls_lane):
    // each request of the playlist or a segment calls `on_demand` first, which returns whether
    // that encode is running (or starting) now. Set once, before serving.
    void set_demand(std::function<bool()> on_demand) { on_demand_ = std::move(on_demand); }
    bool demand() const { return on_demand_ && on_demand_(); }

private:
    struct open_segment {
        std::vector<unsigned char> frames;
        int64_t start_samples = 0;  // MP3 samples before it, from the stream's start
        int64_t samples = 0;
        int mp3_rate = 0;
    };
    void add_frames(std::span<const unsigned char> bytes);  // under mutex_
    void close_segment();                                  // under mutex_
    std::string render_playlist() const;                   // under mutex_
    int64_t stream_frame(int64_t codec_samples, int codec_rate) const;

    const hls_settings settings_;
    const int target_duration_;

    mutable std::mutex mutex_;
    std::optional<std::chrono::system_clock::time_point> start_;
    open_segment open_;
    int64_t codec_samples_ = 0;  // MP3 samples in every chunk so far
    uint64_t next_sequence_;
    std::deque<hls_segment_ptr> held_;
    std::optional<int64_t> restart_frame_;  // restart(): the base of codec_samples_ at the next frame
    bool discontinuity_next_ = false;
    uint64_t discontinuities_ = 0;  // segments published with EXT-X-DISCONTINUITY
    struct waiter {
        playlist_waiter give;
        std::chrono::steady_clock::time_point deadline;
        size_t listed = 1;
    };
    std::vector<waiter> waiters_;
    bool waiters_closed_ = false;
    std::function<bool()> on_demand_;
    std::shared_ptr<const std::string> playlist_;
    struct pending_event {
        int64_t frame = 0;
        std::string json;
    };
    std::vector<pending_event> pending_events_;  // for the next segment's tag
    std::string title_;
    uint64_t segments_ = 0, events_ = 0, events_dropped_ = 0;
    double last_latency_ = 0;
    std::atomic<uint64_t> playlist_requests_{0}, segment_requests_{0}, not_found_{0};
};

// An MP3 output's chunks go to its hub (listeners) and to the mount's HLS segmenter.
class hls_tap : public chunk_target {
public:
    hls_tap(std::shared_ptr<chunk_target> listeners, std::shared_ptr<hls_segmenter> hls)
        : listeners_(std::move(listeners)), hls_(std::move(hls)) {}
    void publish(chunk_ptr chunk) override {
        hls_->publish(chunk);
        listeners_->publish(std::move(chunk));
    }

private:
    std::shared_ptr<chunk_target> listeners_;
    std::shared_ptr<hls_segmenter> hls_;
};

}  // namespace timeside::server::hls
