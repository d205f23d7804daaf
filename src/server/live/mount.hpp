// mount: one live stream (streams/{id}.toml) running. A live_source (the clock, the switch
// between a pushed source or the definition's input and the fallback) heads a never-ending pipe
// whose encoder lanes (one per output, each publishing live_chunks to its chunk_target, the
// output's hub) get every block, and whose analysis lane skips blocks rather than fall behind
// (counted); analyzers keep no rows and hand their events to a callback. Encoders are set up
// once: every listener's stream stays one continuous stream whatever the inputs do.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/analyzer.hpp"
#include "core/pipe.hpp"
#include "server/live/audio_feed.hpp"
#include "server/live/chunk.hpp"
#include "server/live/live_input.hpp"
#include "server/live/live_source.hpp"
#include "server/live/stream_definition.hpp"

namespace timeside::server::live {

class output_sink;

// What changed in what listeners hear, from the block where it shows: a pushed source attached
// (`source_connected`, text: its description) or gone (`source_lost`, text: why, if it failed), the
// fallback filling in (`fallback_started`) or not any more (`fallback_ended`).
struct mount_news {
    std::string what;
    int64_t frame = 0;
    std::string text;
};

struct mount_options {
    int64_t block_frames = 1024;
    // Each lane's queue, in blocks: an encoder lane that is this far behind holds the clock
    // back; an analysis lane that is skips blocks.
    size_t queue_blocks = 16;
    // Builds the inputs the engine does not know itself (kind http: the pulled-stream input);
    // returning null leaves it to the engine, which knows file, playlist, signal and icecast.
    std::function<std::shared_ptr<live_input>(const input_definition&)> make_input;
    // For a fallback of kind `mount`: finds the other mount's feed (the lead's mount table).
    feed_finder find_feed;
    // Each analysis event, on the analysis lane's thread, stamped in stream frames.
    std::function<void(const analysis_event&)> on_event;
    // The title changed (the input's tags, or set_title()); any thread.
    std::function<void(const std::string&)> on_title;
    // On the clock's thread: each change of source or fallback, and every block as it is
    // released (its end frame: the stream time now).
    std::function<void(const mount_news&)> on_news;
    std::function<void(int64_t end_frame)> on_block;
};

struct mount_output_status {
    std::string format, extension, content_type, encoder_spec;
    int64_t chunks = 0, bytes = 0;  // published so far
};

struct mount_status {
    std::string id;
    bool running = false;
    std::string failure;  // why the pipe stopped, if it did on its own
    std::chrono::system_clock::time_point stream_start{};
    int samplerate = 0, channels = 0;
    int64_t stream_frames = 0;
    std::string title;
    bool source_connected = false;
    std::chrono::system_clock::time_point source_since{};
    std::string source;      // the primary input's describe()
    std::string last_error;  // why the last source or input stopped
    bool fallback_active = false;
    int64_t filled_frames = 0, trimmed_frames = 0, skipped_analysis_blocks = 0;
    int64_t source_connects = 0, fallback_switches = 0;
    double fallback_seconds = 0;
    std::vector<mount_output_status> outputs;
};

// Threads: construct, start() and stop() from the owner (the server's mount table); attach,
// detach, set_title, title, status and feed from any thread.
class mount {
public:
    // `targets`: one per def.outputs, same order (the outputs' hubs).
    mount(stream_definition def, std::vector<std::shared_ptr<chunk_target>> targets, mount_options options = {});
    ~mount();
    mount(const mount&) = delete;
    mount& operator=(const mount&) = delete;

    // Builds the inputs, encoders and analyzers and starts the pipe on its own thread; returns
    // once the first block is out. Throws usage_error "<file>: <key>: <cause>" on a bad spec or
    // input, processing_error when the pipe cannot start.
    void start();
    // Stops the pipe (well under a second) and joins it; the outputs' last chunks are not
    // finished (a live stream has no end). Idempotent.
    void stop() noexcept;

    // A pushed source (ingest) takes over; it is started here (towards the mount's format, on
    // the caller's thread: live_input::start returns soon). False when one is attached already
    // (409) or the mount is not started.
    bool attach_source(std::shared_ptr<live_input> source);
    void detach_source(const std::shared_ptr<live_input>& source);

    // /admin/metadata; the input's own titles replace it when they change.
    void set_title(std::string title);
    std::string title() const;

    mount_status status() const;
    // This mount's audio, for other mounts' fallback.
    std::shared_ptr<audio_feed> feed() const { return feed_; }
    const stream_definition& definition() const { return def_; }
    // The analyzers as built by start(); read their results only once stopped.
    const std::vector<std::shared_ptr<analyzer>>& analyzers() const { return analyzers_; }

private:
    std::shared_ptr<live_input> make_input() const;
    std::shared_ptr<live_input> make_fallback() const;
    void build_pipe();
    void report(const block_ptr& b);  // on_news, on_block: the clock's thread

    const stream_definition def_;
    const std::vector<std::shared_ptr<chunk_target>> targets_;
    const mount_options options_;
    std::shared_ptr<audio_feed> feed_;

    std::shared_ptr<live_source> source_;
    std::unique_ptr<timeside::pipe> pipe_;
    std::vector<std::shared_ptr<output_sink>> sinks_;
    std::vector<std::shared_ptr<analyzer>> analyzers_;
    skip_counters skips_;
    std::atomic<bool> cancel_{false};
    std::thread thread_;
    std::chrono::system_clock::time_point stream_start_{};
    bool reported_connected_ = false, reported_fallback_ = false;  // the clock's thread only

    mutable std::mutex mutex_;  // title_, failure_, running_
    std::string title_;
    std::string failure_;
    bool running_ = false;
};

}  // namespace timeside::server::live
