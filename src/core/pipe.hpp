// The pipe: `decoder | a | b | c`, then run(). One decode feeds every processor; each consumer
// runs in its own lane (the first on the decoding thread, every other on a worker thread behind
// a bounded queue), effects run inline and feed the processors after them. A failure anywhere
// stops the decode and aborts every output. A live run (a decoder that never ends) may let its
// analysis lanes skip blocks rather than hold back the encoders.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/analyzer.hpp"
#include "core/decoder.hpp"
#include "core/processor.hpp"

namespace timeside {

// The blocks lossy lanes skipped, readable from any thread while the run goes on: run() lists
// the lanes at setup (reset), then counts on the decoding thread (skip).
class skip_counters {
public:
    struct lane {
        std::vector<std::string> consumers;  // processor ids, in lane order
        bool lossy = false;
        int64_t skipped = 0;
    };
    int64_t total() const { return total_.load(std::memory_order_relaxed); }
    std::vector<lane> lanes() const {
        std::lock_guard lock(mutex_);
        return lanes_;
    }
    void reset(std::vector<lane> lanes) {
        std::lock_guard lock(mutex_);
        lanes_ = std::move(lanes);
        total_ = 0;
    }
    void skip(size_t lane_index) {
        std::lock_guard lock(mutex_);
        if (lane_index < lanes_.size()) ++lanes_[lane_index].skipped;
        total_.fetch_add(1, std::memory_order_relaxed);
    }

private:
    mutable std::mutex mutex_;
    std::vector<lane> lanes_;
    std::atomic<int64_t> total_{0};
};

struct run_options {
    // Called on the decoding thread after each block: frames decoded, total (-1 if unknown).
    std::function<void(int64_t, int64_t)> progress;
    // Called on the decoding thread once every processor is set up, before the first block: what
    // the analyzers will produce (their results' ids and modes) is known from here on.
    std::function<void()> on_setup;
    // Polled between blocks; when it becomes true the run stops with cancelled_error.
    const std::atomic<bool>* cancel = nullptr;
    size_t queue_blocks = 8;  // per lane
    // A live run: a lane whose consumers are all analyzers is lossy. When its queue is full the
    // block is skipped for that lane (counted in `skips`) instead of blocking the decoder, so a
    // slow analysis never holds back the encoders, which still get every block. Lossy lanes
    // never run on the decoding thread.
    bool lossy_analysis = false;
    skip_counters* skips = nullptr;
    // Fewer threads for a live mount, where dozens of mounts already keep every core busy and
    // each lane thread costs a futex hand-over per block: every lane that must see every block
    // (the encoders) runs on the decoding thread, one after the other, and the lossy lanes that
    // read the same stream become one lane (one thread for all of a mount's analyzers; they
    // skip together). The lossy lanes still never run on the decoding thread.
    bool fewer_threads = false;
};

class pipe {
public:
    explicit pipe(std::shared_ptr<decoder> source);

    // Appends a consumer or an effect (after the parents it declares, unless equal ones are
    // already there); a second decoder is a usage_error.
    pipe& add(std::shared_ptr<processor> p);
    void run(const run_options& options = {});

    const std::shared_ptr<decoder>& source() const { return source_; }
    const std::vector<std::shared_ptr<processor>>& processors() const { return processors_; }
    // The stream the decoder delivered in the last run.
    const stream_info& input() const { return input_; }
    // The results of every analyzer added to the pipe, in pipe order; parents the pipe inserted
    // on its own are left out (an onset function's spectrogram), unless added explicitly too.
    std::vector<analyzer_result> results() const;
    // The analyzers whose results results() returns (those added, not parents inserted for them).
    std::vector<std::shared_ptr<analyzer>> result_analyzers() const;

private:
    void add_parents(consumer& child);
    void join_groups(consumer& child);

    std::shared_ptr<decoder> source_;
    std::vector<std::shared_ptr<processor>> processors_;
    std::vector<bool> implicit_;             // per processor: inserted as a parent only
    std::vector<size_t> group_;              // per processor: the lane group it runs in
    stream_info input_;
};

pipe operator|(const std::shared_ptr<processor>& source, const std::shared_ptr<processor>& next);
pipe operator|(pipe p, const std::shared_ptr<processor>& next);

}  // namespace timeside
