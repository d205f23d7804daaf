// Lanes, fan-out and failure handling for the pipe.
#include "core/pipe.hpp"

#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "core/bounded_queue.hpp"
#include "core/errors.hpp"

namespace timeside {

pipe::pipe(std::shared_ptr<decoder> source) : source_(std::move(source)) {
    if (!source_) throw usage_error("a pipe starts with a decoder");
}

pipe& pipe::add(std::shared_ptr<processor> p) {
    if (!p) throw usage_error("pipe: null processor");
    if (std::dynamic_pointer_cast<decoder>(p))
        throw usage_error(fmt::format("pipe: '{}' is a decoder; a pipe has one decoder, first", p->id()));
    processors_.push_back(std::move(p));
    return *this;
}

pipe operator|(const std::shared_ptr<processor>& source, const std::shared_ptr<processor>& next) {
    auto d = std::dynamic_pointer_cast<decoder>(source);
    if (!d)
        throw usage_error(fmt::format("a pipe starts with a decoder, not '{}'", source ? source->id() : "null"));
    pipe p(std::move(d));
    p.add(next);
    return p;
}

pipe operator|(pipe p, const std::shared_ptr<processor>& next) {
    p.add(next);
    return p;
}

std::vector<analyzer_result> pipe::results() const {
    std::vector<analyzer_result> out;
    for (const auto& p : processors_)
        if (auto a = std::dynamic_pointer_cast<analyzer>(p))
            out.insert(out.end(), a->results().begin(), a->results().end());
    return out;
}

namespace {

// Records the first failure and stops everything else.
class failure_state {
public:
    void fail(std::exception_ptr e) {
        std::lock_guard lock(mutex_);
        if (!error_) error_ = std::move(e);
        failed_ = true;
    }
    bool failed() const { return failed_; }
    std::exception_ptr error() const {
        std::lock_guard lock(mutex_);
        return error_;
    }

private:
    mutable std::mutex mutex_;
    std::exception_ptr error_;
    std::atomic<bool> failed_{false};
};

struct lane {
    consumer* target;
    size_t stream;  // index of the stream (decoder output or an effect's) it consumes
    std::unique_ptr<bounded_queue<block_ptr>> queue;
    std::thread thread;
};

}  // namespace

void pipe::run(const run_options& options) {
    input_ = source_->open();

    // Setup, in order, before anything is decoded: an unusable output fails the run here.
    std::vector<stream_info> streams{input_};
    std::vector<std::pair<effect*, size_t>> effects;  // effect, its input stream
    std::vector<lane> lanes;
    try {
        for (const auto& p : processors_) {
            if (auto e = dynamic_cast<effect*>(p.get())) {
                streams.push_back(e->setup(streams.back()));
                effects.emplace_back(e, streams.size() - 2);
            } else if (auto c = dynamic_cast<consumer*>(p.get())) {
                lanes.push_back({c, streams.size() - 1, nullptr, {}});
                c->setup(streams.back());
            } else {
                throw usage_error(fmt::format("pipe: '{}' cannot follow a decoder", p->id()));
            }
        }
    } catch (...) {
        for (auto& l : lanes) l.target->abort();
        source_->close();
        throw;
    }

    // The first consumer runs on the decoding thread itself (the decoder only hands blocks over,
    // so that thread has room); every other consumer gets a lane of its own. One consumer thus
    // costs no thread hop at all, and N consumers use N threads.
    failure_state failure;
    auto stop_all = [&] {
        for (size_t i = 1; i < lanes.size(); ++i) lanes[i].queue->cancel();
        source_->cancel();
    };
    for (size_t i = 1; i < lanes.size(); ++i) {
        lane& l = lanes[i];
        l.queue = std::make_unique<bounded_queue<block_ptr>>(options.queue_blocks);
        l.thread = std::thread([&l, &failure, &stop_all] {
            try {
                while (auto b = l.queue->pop()) {
                    if (failure.failed()) return;
                    l.target->process(*b);
                }
                if (!failure.failed()) l.target->finish();
            } catch (...) {
                failure.fail(std::current_exception());
                stop_all();
            }
        });
    }

    int64_t decoded = 0;
    try {
        std::vector<block_ptr> stage(streams.size());
        while (!failure.failed()) {
            if (options.cancel && options.cancel->load()) throw cancelled_error();
            block_ptr b = source_->read();
            if (!b) break;
            stage[0] = std::move(b);
            for (auto& [e, from] : effects) stage[from + 1] = e->transform(stage[from]);
            for (size_t i = 1; i < lanes.size(); ++i)
                if (!lanes[i].queue->push(stage[lanes[i].stream])) break;
            if (!lanes.empty()) lanes[0].target->process(stage[lanes[0].stream]);
            decoded += stage[0]->frames();
            if (options.progress) options.progress(decoded, input_.total_frames);
        }
        for (size_t i = 1; i < lanes.size(); ++i) lanes[i].queue->close();
        if (!lanes.empty() && !failure.failed()) lanes[0].target->finish();
    } catch (...) {
        failure.fail(std::current_exception());
        stop_all();
    }
    for (size_t i = 1; i < lanes.size(); ++i) {
        lanes[i].queue->close();
        lanes[i].thread.join();
    }
    source_->close();

    if (failure.failed()) {
        for (auto& l : lanes) l.target->abort();
        std::rethrow_exception(failure.error());
    }
}

}  // namespace timeside
