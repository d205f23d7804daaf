// One live output's fan-out point (DESIGN.md, "Hub"): the output's encoder publishes each chunk
// once; the hub keeps the codec headers and a ring of recent chunks, and every listener reads the
// same immutable chunks through its own cursor. Nothing here copies audio per listener.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "server/live/chunk.hpp"
#include "server/live/icy.hpp"
#include "server/live/stream_definition.hpp"

namespace timeside::server::live {

// The server-wide listener cap, one for every hub: the server makes it from its configuration
// and gives it to each hub's settings. `max` 0: no server-wide cap.
struct listener_budget {
    explicit listener_budget(unsigned max_listeners) : max(max_listeners) {}
    const unsigned max;
    std::atomic<unsigned> listeners{0};
};

struct hub_settings {
    std::string mount;         // the listener URL's path ("/live/studio.mp3"): logs, status
    std::string content_type;  // "audio/mpeg"
    int samplerate = 44100;    // the mount's: the unit of every chunk's end_frame
    int channels = 2;
    int bitrate_kbps = 0;      // nominal (icy-br, ice-audio-info); 0: unknown, estimated
    // What the listener head says of the stream (icy-name, icy-description, icy-genre, icy-url,
    // icy-pub): the stream definition's name, description, genre, url, public.
    std::string name, description, genre, url;
    bool is_public = false;
    double burst_seconds = 2.0;   // audio a joining listener gets at once; 0: the live edge
    // ...and at least this many bytes of it, reaching back at most half the queue (and never past
    // burst_seconds when that is 0): players start once they hold a block (Chromium reads a live
    // stream in 32 KiB blocks and waits for each, so 2 s of 128 kbit/s MP3, 32,000 bytes, stalls
    // it at 2.04 s). Icecast's burst-size is 64 KiB too.
    unsigned burst_bytes = 65536;
    double queue_seconds = 10.0;  // a listener further behind is dropped (slow_listeners)
    unsigned max_listeners = 0;   // this hub's cap; 0: only the server's
    unsigned metaint = 16000;     // ICY: audio bytes between metadata blocks
    // Idle listeners are woken when enough audio arrived since the last wake-up (or a header
    // chunk), and each writes all of it in one write: the cost of fan-out is per write, the
    // kernel's TCP path (measured, 2,000 listeners of 128 kbit/s MP3 in one-frame chunks: 0.34 core
    // waking every 0.05 s, 0.18 at 0.1 s, 0.13 at 0.2 s; Icecast writes 2 KiB buffers, ~0.13 s
    // there). "Enough" follows the audience, as a network card coalesces interrupts: listeners /
    // wake_writes_per_second seconds, so a hub asks for about that many writes per second, within
    // [wake_min_seconds, wake_max_seconds]: a few listeners get every chunk as it comes (the lowest
    // latency), a crowd of 10,000 at most wake_max_seconds more latency than that.
    double wake_writes_per_second = 10000;
    double wake_min_seconds = 0;
    double wake_max_seconds = 0.5;
    // How often (in stream time) the attached listeners are checked for falling behind: a stuck
    // client is dropped at most this late. One pass over all listeners, no timer per write.
    double check_seconds = 0.25;
    std::shared_ptr<listener_budget> server;  // may be null: no server-wide cap
    // The mount's cap ([listeners] max), shared by the hubs of its outputs; may be null.
    std::shared_ptr<listener_budget> mount_budget;
    std::string mount_id;  // names the mount in the mount cap's refusal
};

// The settings of the hub of `output` of the mount `def`: its listener path /live/{id}.{ext}, the
// stream's name, description, genre, url and public flag, the output's nominal bitrate (icy-br; 0
// when it has none: VBR, FLAC), [listeners] burst, queue and metaint; `mount`: the budget of
// [listeners] max that all the mount's outputs share, `server` the server-wide one.
hub_settings hub_settings_for(const stream_definition& def, const output_definition& output,
                              std::shared_ptr<listener_budget> server, std::shared_ptr<listener_budget> mount);

// What waits for chunks after a take() found none: woken once by a later publish, on the
// publishing thread, outside the hub's locks (post to your own strand). The hub holds it until
// then: an idle listener needs no other owner.
class hub_waiter {
public:
    virtual ~hub_waiter() = default;
    virtual void on_chunks() = 0;
};

// What the admin sees of one listener (GET /admin/api/mounts/{id}/listeners).
struct listener_info {
    std::string peer;        // "address:port"
    std::string user_agent;  // the request's User-Agent ("" when it sent none)
    std::string sid;         // its `?sid=` token ("" without one)
    bool icy_metadata = false;
    std::chrono::steady_clock::time_point since;  // when it was admitted
    uint64_t bytes = 0;                            // written to it so far, head and ICY blocks included
};

// A listener as the hub checks it (attach()). The on_* calls come from the publishing thread (or
// the one closing the hub), outside the hub's locks: post to the listener's own strand.
class hub_reader {
public:
    virtual ~hub_reader() = default;
    // Its written_end_frame() is more than queue_seconds behind the newest chunk: drop it as slow
    // (a client that stopped reading: its write never completes).
    virtual void on_behind() = 0;
    // close_listeners(): the mount is gone.
    virtual void on_hub_closed() = 0;
    // The end frame of the audio it handed to its socket so far (any thread).
    virtual int64_t written_end_frame() const = 0;
    // Who it is, when it is a listener; nothing for the other readers (an Icecast push relay).
    // Any thread.
    virtual std::optional<listener_info> listener() const { return std::nullopt; }
};

struct hub_counters {
    uint64_t listeners = 0;       // now
    uint64_t listener_peak = 0;
    uint64_t slow_listeners = 0;  // dropped for falling more than queue_seconds behind
    uint64_t connects = 0;        // listeners admitted since the hub started
    uint64_t refused = 0;         // 503s: this hub's or the server's cap
    uint64_t bytes_sent = 0;      // to listeners, heads and ICY blocks included
    uint64_t chunks = 0;          // published
};

class hub : public chunk_target, public std::enable_shared_from_this<hub> {
public:
    // Made with std::make_shared (a listener's place holds the hub). Throws usage_error when
    // queue_seconds < burst_seconds (a listener would be dropped as it joins) or the rate is not
    // positive.
    explicit hub(hub_settings settings);
    const hub_settings& settings() const { return settings_; }
    // The Icecast listener head for this output, with or without icy-metaint (listener_head.hpp),
    // built once: every listener writes the same bytes.
    const std::string& head(bool icy_metadata) const { return heads_[icy_metadata ? 1 : 0]; }

    // The encoder's lane thread. Header chunks are kept for every listener to come (a header
    // after audio starts a new set, and goes to current listeners in order too); the others go to
    // the ring, trimmed to max(burst, queue) seconds.
    void publish(chunk_ptr chunk) override;

    // The ICY title (any thread); listeners asking for metadata get it at their next block.
    void set_title(std::string title);
    icy::title_ptr title() const;

    // A place among the listeners; given back when destroyed.
    class slot {
    public:
        explicit slot(std::shared_ptr<hub> h) : hub_(std::move(h)) {}
        ~slot();
        slot(const slot&) = delete;
        slot& operator=(const slot&) = delete;

    private:
        std::shared_ptr<hub> hub_;
    };
    struct join_result {
        std::shared_ptr<slot> place;  // null when refused
        std::string refusal;          // why, for the 503's body: which cap, and its value
    };
    // Takes a place under this hub's max and the server's budget, or says which one is full.
    join_result try_join();

    // Where a listener reads from: `next` is the sequence number of its next chunk; until
    // `synced`, chunks before the first `sync` one are skipped (a decoder starts there).
    struct cursor {
        uint64_t next = 0;
        bool synced = false;
    };
    struct start_point {
        std::vector<chunk_ptr> headers;
        cursor from;
        int64_t start_frame = 0;  // the stream frame the burst starts at (the live edge without one)
    };
    // For a joining listener: the headers, then the burst: the earliest sync chunk whose audio
    // starts within burst_seconds of the newest chunk's end, or, when that holds fewer than
    // burst_bytes, the latest one from which burst_bytes are in the ring, within half the queue
    // (none: the live edge).
    start_point start() const;

    enum class take_result { data, none, lost };
    // Appends to `out` the chunks from `at` on (at most `max_chunks`) and moves `at` past them.
    // none: nothing new; `waiter`, if given, is then woken by a later publish (once).
    // lost: `at` fell out of the ring: the listener is more than the ring behind.
    take_result take(cursor& at, std::vector<chunk_ptr>& out, size_t max_chunks,
                     const std::shared_ptr<hub_waiter>& waiter = nullptr);

    // A listener to check for falling behind (held weakly: it leaves by being destroyed).
    void attach(const std::shared_ptr<hub_reader>& reader);
    // State the hub's listeners share (listener_session's wake-up shards), made by `make` the
    // first time it is asked for; the hub keeps it as long as it lives.
    std::shared_ptr<void> listener_state(const std::function<std::shared_ptr<void>()>& make);
    // The mount is removed (or its output changed): every attached listener is told
    // (on_hub_closed: it closes), idle ones are let go, new ones are refused. Call it before
    // dropping the hub: listeners waiting for chunks are held by it and hold it.
    void close_listeners();

    int64_t end_frame() const;          // the newest chunk's
    double bytes_per_second() const;    // nominal, else measured over the ring; 0 before any audio
    double ring_seconds() const;        // audio the ring holds
    size_t ring_chunks() const;

    void add_bytes_sent(uint64_t n) { bytes_sent_.fetch_add(n, std::memory_order_relaxed); }
    void count_slow() { slow_.fetch_add(1, std::memory_order_relaxed); }
    bool closed() const { return closed_.load(); }
    hub_counters counters() const;
    // The attached readers that are listeners (hub_reader::listener()), in the order they came.
    std::vector<listener_info> listeners() const;

private:
    struct entry {
        chunk_ptr chunk;
        int64_t start_frame = 0;  // the previous chunk's end_frame
    };
    void leave();
    void trim();  // under the lock
    void check_readers();  // outside the lock
    int64_t wake_frames() const;  // the audio between two wake-ups, for the listeners there are now

    const hub_settings settings_;
    const std::string heads_[2];
    const int64_t ring_frames_;
    const int64_t burst_frames_;
    const int64_t burst_bytes_reach_;  // how far back burst_bytes may take a listener, in frames
    const int64_t check_frames_;
    const int64_t queue_frames_;

    mutable std::shared_mutex mutex_;
    std::vector<chunk_ptr> headers_;
    bool last_was_header_ = false;
    std::deque<entry> ring_;
    uint64_t first_seq_ = 0;  // ring_.front()'s sequence number
    uint64_t ring_bytes_ = 0;
    int64_t end_frame_ = 0;
    std::atomic<int64_t> end_frame_seen_{0};  // end_frame_, for readers without the lock
    int64_t last_wake_frame_ = 0;
    uint64_t last_header_seq_ = 0;  // 1 + the sequence number of the last header in the ring; 0: none
    // Idle listeners own nothing else that keeps them alive: the hub holds them until it wakes them
    // (a listener closed meanwhile is released at that wake-up, or with the hub).
    std::vector<std::shared_ptr<hub_waiter>> waiters_;  // guarded by waiters_mutex_
    std::mutex waiters_mutex_;
    std::mutex publish_mutex_;
    std::vector<std::shared_ptr<hub_waiter>> spare_;  // guarded by publish_mutex_
    int64_t last_check_frame_ = 0;  // guarded by publish_mutex_
    std::vector<std::weak_ptr<hub_reader>> readers_;  // guarded by readers_mutex_
    mutable std::mutex readers_mutex_;
    std::atomic<bool> closed_{false};
    std::mutex listener_state_mutex_;
    std::shared_ptr<void> listener_state_;

    mutable std::mutex title_mutex_;
    icy::title_ptr title_;

    std::atomic<unsigned> listeners_{0};
    std::atomic<uint64_t> peak_{0}, slow_{0}, connects_{0}, refused_{0}, bytes_sent_{0}, chunks_{0};
};

}  // namespace timeside::server::live
