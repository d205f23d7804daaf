// live_source: the decoder at the head of a live mount's pipe. Its read() never ends until
// cancel(): it releases a block of `block_frames` at each due time of the real-time clock (due
// times counted from the start, so no drift), stamped with the mount's stream frame (never
// reset), made of the primary input's audio (a pushed source while one is attached, else the
// definition's input) and, where that is late past a short grace, ended or failed, of the
// fallback's (silence when there is none) — so blocks keep coming on time whatever the inputs do.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/decoder.hpp"
#include "server/live/live_input.hpp"

namespace timeside::server::live {

struct live_source_options {
    audio_format format{44100, 2};  // the mount's: every input is converted to it
    int64_t block_frames = 1024;
    // How long the primary may be late before the fallback fills in; 0: two blocks.
    std::chrono::milliseconds grace{0};
    // A pushed source's audio buffered beyond this (it is ahead of the clock) is trimmed, oldest
    // first, and counted.
    double max_ahead_seconds = 2.0;
    // A clock stalled longer than this (a suspended process) starts again from now instead of
    // catching up with a burst; stream frames stay contiguous.
    std::chrono::milliseconds max_late{1000};
    std::string label = "live";  // the mount, for messages and media info ("live/studio")
};

// What the source did so far; any thread, any time.
struct live_source_status {
    int64_t stream_frames = 0;      // frames delivered since the start (the next block's position)
    int64_t filled_frames = 0;      // frames that did not come from the primary input
    int64_t trimmed_frames = 0;     // a pushed source's frames dropped for being too far ahead
    int64_t fallback_switches = 0;  // times the fallback started filling in
    int64_t source_connects = 0;    // sources attached
    int64_t clock_slips = 0;        // times the clock was re-anchored after a stall
    bool fallback_active = false;   // the last block held fallback audio
    bool source_connected = false;  // a pushed source is attached
    std::chrono::system_clock::time_point source_since{};  // when it was attached
    std::string source;             // describe() of the primary input ("" when none)
    std::string last_error;         // why the last source or input stopped, if it failed
    double fallback_seconds(int samplerate) const {
        return samplerate ? static_cast<double>(filled_frames) / samplerate : 0.0;
    }
};

class live_source : public decoder {
public:
    // `input`: the definition's input (null for a mount that waits for pushed sources);
    // `fallback`: what fills in (null: silence). Neither is started before open().
    live_source(live_source_options options, std::shared_ptr<live_input> input,
                std::shared_ptr<live_input> fallback);
    ~live_source() override;

    // Starts the inputs and the clock. An input that cannot start is kept as failed (the fallback
    // plays, its error shows in status()); a usage_error (a bad definition) propagates.
    stream_info open() override;
    block_ptr read() override;
    void cancel() noexcept override;
    void close() noexcept override;  // stops every input

    // A pushed source takes over from the next block on. It is started here (towards the
    // mount's format) and detached when it ends or fails (stopped, its error kept for status).
    // False when a source is already attached (HTTP 409). Throws what its start() throws.
    bool attach_source(std::shared_ptr<live_input> source);
    // Detaches `source` if it is the one attached (the ingest connection closed); stops it.
    void detach_source(const std::shared_ptr<live_input>& source);

    live_source_status status() const;
    const live_source_options& options() const { return options_; }

    // Set before open(); called on the clock thread: a title the primary input reports, and
    // every block as it is released (another mount's fallback hears this one through it).
    void on_title(std::function<void(const std::string&)> fn) { on_title_ = std::move(fn); }
    void on_block(std::function<void(const block_ptr&)> fn) { on_block_ = std::move(fn); }

private:
    std::chrono::steady_clock::time_point due(int64_t block_index) const;
    bool wait_until(std::chrono::steady_clock::time_point t);  // false when cancelled
    // Reads the primary into pending_; the number of its frames in the block (<= block_frames).
    int64_t take_primary(std::chrono::steady_clock::time_point deadline);
    void fill_from_fallback(std::vector<float>& out, int64_t frames);
    void primary_over(const std::shared_ptr<live_input>& input, bool attached, live_input::status why);

    const live_source_options options_;
    std::shared_ptr<live_input> input_, fallback_;
    bool input_over_ = false;     // the definition's input ended or failed: not read again
    bool fallback_over_ = false;  // the fallback ended or failed: silence from then on
    std::function<void(const std::string&)> on_title_;
    std::function<void(const block_ptr&)> on_block_;

    std::atomic<bool> cancelled_{false};
    std::mutex clock_mutex_;
    std::condition_variable clock_cv_;
    std::chrono::steady_clock::time_point start_;
    int64_t next_block_ = 0;
    bool playout_ = false;  // the pushed source ended: its pending audio plays out first
    std::vector<float> pending_;  // primary audio read, not yet delivered
    std::vector<float> scratch_;
    bool on_fallback_ = false;    // the previous block held fallback audio
    const live_input* primary_ = nullptr;  // whose audio pending_ holds

    mutable std::mutex state_mutex_;  // guards attached_ and status_
    std::shared_ptr<live_input> attached_;
    live_source_status status_;
};

}  // namespace timeside::server::live
