// Lanes, fan-out and failure handling for the pipe.
#include "core/pipe.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "core/bounded_queue.hpp"
#include "core/thread_name.hpp"
#include "core/errors.hpp"

namespace timeside {

pipe::pipe(std::shared_ptr<decoder> source) : source_(std::move(source)) {
    if (!source_) throw usage_error("a pipe starts with a decoder");
}

namespace {
bool equal_processors(const processor& a, const processor& b) {
    return a.id() == b.id() && a.parameters().to_kv() == b.parameters().to_kv();
}
}  // namespace

// The last processor added (`child`) and every group holding one of its parents become one.
void pipe::join_groups(consumer& child) {
    const size_t mine = group_.back();
    for (const auto& parent : child.parents())
        for (size_t i = 0; i + 1 < processors_.size(); ++i)
            if (processors_[i] == parent) {
                const size_t theirs = group_[i];  // a copy: std::replace would see it change
                std::replace(group_.begin(), group_.end(), theirs, mine);
            }
}

// Parents first (shared with an equal processor already in the pipe); the child then joins the
// lane group of its parents, merging groups if parents ran apart.
void pipe::add_parents(consumer& child) {
    for (auto& parent : child.parents()) {
        auto it = std::find_if(processors_.begin(), processors_.end(),
                               [&](const auto& q) { return equal_processors(*q, *parent); });
        if (it != processors_.end()) {
            if (auto shared = std::dynamic_pointer_cast<consumer>(*it)) parent = shared;
            continue;
        }
        add_parents(*parent);
        processors_.push_back(parent);
        implicit_.push_back(true);
        group_.push_back(processors_.size() - 1);
        join_groups(*parent);
    }
}

pipe& pipe::add(std::shared_ptr<processor> p) {
    if (!p) throw usage_error("pipe: null processor");
    if (std::dynamic_pointer_cast<decoder>(p))
        throw usage_error(fmt::format("pipe: '{}' is a decoder; a pipe has one decoder, first", p->id()));
    for (size_t i = 0; i < processors_.size(); ++i)
        if (processors_[i] == p) {  // already inserted as a parent: now asked for explicitly
            implicit_[i] = false;
            return *this;
        }
    auto* c = dynamic_cast<consumer*>(p.get());
    if (c) add_parents(*c);
    processors_.push_back(std::move(p));
    implicit_.push_back(false);
    group_.push_back(processors_.size() - 1);
    if (c) join_groups(*c);
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

std::vector<std::shared_ptr<analyzer>> pipe::result_analyzers() const {
    std::vector<std::shared_ptr<analyzer>> out;
    for (size_t i = 0; i < processors_.size(); ++i)
        if (auto a = std::dynamic_pointer_cast<analyzer>(processors_[i]); a && !implicit_[i]) out.push_back(std::move(a));
    return out;
}

std::vector<analyzer_result> pipe::results() const {
    std::vector<analyzer_result> out;
    for (size_t i = 0; i < processors_.size(); ++i)
        if (auto a = std::dynamic_pointer_cast<analyzer>(processors_[i]); a && !implicit_[i])
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

// One thread's work: consumers that run one after the other on each block (a child after its
// parents), all reading the same stream.
struct lane {
    std::vector<consumer*> targets;
    size_t stream;  // index of the stream (decoder output or an effect's) it consumes
    std::unique_ptr<bounded_queue<block_ptr>> queue;
    std::thread thread;
    bool lossy = false;
};

// Analyzers only: what a live run may let skip blocks.
bool all_analyzers(const std::vector<consumer*>& targets) {
    return std::all_of(targets.begin(), targets.end(),
                       [](consumer* c) { return dynamic_cast<analyzer*>(c) != nullptr; });
}

}  // namespace

void pipe::run(const run_options& options) {
    input_ = source_->open();

    // Setup, in order, before anything is decoded: an unusable output fails the run here.
    std::vector<stream_info> streams{input_};
    std::vector<std::pair<effect*, size_t>> effects;  // effect, its input stream
    std::vector<lane> lanes;
    std::vector<consumer*> set_up;
    std::map<size_t, size_t> lane_of_group;
    try {
        for (size_t i = 0; i < processors_.size(); ++i) {
            processor* p = processors_[i].get();
            if (auto e = dynamic_cast<effect*>(p)) {
                streams.push_back(e->setup(streams.back()));
                effects.emplace_back(e, streams.size() - 2);
            } else if (auto c = dynamic_cast<consumer*>(p)) {
                auto [it, fresh] = lane_of_group.emplace(group_[i], lanes.size());
                if (fresh) lanes.push_back({{}, streams.size() - 1, nullptr, {}});
                lanes[it->second].targets.push_back(c);
                set_up.push_back(c);
                c->setup(streams.back());
            } else {
                throw usage_error(fmt::format("pipe: '{}' cannot follow a decoder", p->id()));
            }
        }
    } catch (...) {
        for (auto* c : set_up) c->abort();
        source_->close();
        throw;
    }

    // The first consumer runs on the decoding thread itself (the decoder only hands blocks over,
    // so that thread has room); every other consumer gets a lane of its own. One consumer thus
    // costs no thread hop at all, and N consumers use N threads. In a lossy run the inline lane
    // is the first lane that must see every block (a lossy one there could not skip); when every
    // lane is lossy, none runs inline. With fewer_threads, every lane that is not lossy runs inline.
    for (auto& l : lanes) l.lossy = options.lossy_analysis && all_analyzers(l.targets);
    size_t first_queued = 0;  // lanes [0, first_queued) run on the decoding thread
    if (options.fewer_threads) {
        // The lossy lanes of one stream into its first; those that must see every block first.
        for (size_t i = 0; i < lanes.size(); ++i)
            for (size_t j = i + 1; lanes[i].lossy && j < lanes.size();)
                if (lanes[j].lossy && lanes[j].stream == lanes[i].stream) {
                    lanes[i].targets.insert(lanes[i].targets.end(), lanes[j].targets.begin(), lanes[j].targets.end());
                    lanes.erase(lanes.begin() + static_cast<std::ptrdiff_t>(j));
                } else {
                    ++j;
                }
        auto lossy_from = std::stable_partition(lanes.begin(), lanes.end(), [](const lane& l) { return !l.lossy; });
        first_queued = static_cast<size_t>(lossy_from - lanes.begin());
    } else {
        if (!lanes.empty() && lanes[0].lossy) {
            auto keeper = std::find_if(lanes.begin(), lanes.end(), [](const lane& l) { return !l.lossy; });
            if (keeper != lanes.end()) std::iter_swap(lanes.begin(), keeper);
        }
        first_queued = !lanes.empty() && !lanes[0].lossy ? 1 : 0;
    }
    if (options.skips) {
        std::vector<skip_counters::lane> listed;
        for (const auto& l : lanes) {
            skip_counters::lane entry;
            for (auto* t : l.targets) entry.consumers.push_back(t->id());
            entry.lossy = l.lossy;
            listed.push_back(std::move(entry));
        }
        options.skips->reset(std::move(listed));
    }

    failure_state failure;
    auto stop_all = [&] {
        for (size_t i = first_queued; i < lanes.size(); ++i) lanes[i].queue->cancel();
        source_->cancel();
    };
    for (size_t i = first_queued; i < lanes.size(); ++i) {
        lane& l = lanes[i];
        l.queue = std::make_unique<bounded_queue<block_ptr>>(options.queue_blocks);
        l.thread = std::thread([&l, &failure, &stop_all] {
            name_this_thread("lane");
            try {
                while (auto b = l.queue->pop()) {
                    if (failure.failed()) return;
                    for (auto* t : l.targets) t->process(*b);
                }
                if (!failure.failed())
                    for (auto* t : l.targets) t->finish();
            } catch (...) {
                failure.fail(std::current_exception());
                stop_all();
            }
        });
    }

    int64_t decoded = 0;
    try {
        if (options.on_setup) options.on_setup();
        std::vector<block_ptr> stage(streams.size());
        while (!failure.failed()) {
            if (options.cancel && options.cancel->load()) throw cancelled_error();
            block_ptr b = source_->read();
            if (!b) {
                // A live decoder ends its stream when cancelled: that is a cancelled run, whose
                // outputs are aborted, not a complete one.
                if (options.cancel && options.cancel->load()) throw cancelled_error();
                break;
            }
            stage[0] = std::move(b);
            for (auto& [e, from] : effects) stage[from + 1] = e->transform(stage[from]);
            for (size_t i = first_queued; i < lanes.size(); ++i) {
                if (!lanes[i].lossy) {
                    if (!lanes[i].queue->push(stage[lanes[i].stream])) break;
                } else if (lanes[i].queue->try_push(stage[lanes[i].stream]) ==
                           bounded_queue<block_ptr>::offer::full) {
                    if (options.skips) options.skips->skip(i);
                }
            }
            for (size_t i = 0; i < first_queued; ++i)
                for (auto* t : lanes[i].targets) t->process(stage[lanes[i].stream]);
            decoded += stage[0]->frames();
            if (options.progress) options.progress(decoded, input_.total_frames);
        }
        for (size_t i = first_queued; i < lanes.size(); ++i) lanes[i].queue->close();
        for (size_t i = 0; i < first_queued && !failure.failed(); ++i)
            for (auto* t : lanes[i].targets) t->finish();
    } catch (...) {
        failure.fail(std::current_exception());
        stop_all();
    }
    for (size_t i = first_queued; i < lanes.size(); ++i) {
        lanes[i].queue->close();
        lanes[i].thread.join();
    }
    source_->close();

    if (failure.failed()) {
        for (auto* c : set_up) c->abort();
        std::rethrow_exception(failure.error());
    }
}

}  // namespace timeside
