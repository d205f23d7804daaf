// The pipe: `decoder | a | b | c`, then run(). One decode feeds every processor; each consumer
// runs in its own lane (the first on the decoding thread, every other on a worker thread behind
// a bounded queue), effects run inline and feed the processors after them. A failure anywhere
// stops the decode and aborts every output.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "core/analyzer.hpp"
#include "core/decoder.hpp"
#include "core/processor.hpp"

namespace timeside {

struct run_options {
    // Called on the decoding thread after each block: frames decoded, total (-1 if unknown).
    std::function<void(int64_t, int64_t)> progress;
    // Polled between blocks; when it becomes true the run stops with cancelled_error.
    const std::atomic<bool>* cancel = nullptr;
    size_t queue_blocks = 8;  // per lane
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
