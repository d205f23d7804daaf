// A pipe that never ends: a decoder that never returns nullptr runs on a thread until cancelled,
// and in a lossy (live) run a slow analysis lane skips blocks, counted, while an encoder lane
// gets every one and the decoder is never held back.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "../test_support.hpp"
#include "core/analyzer.hpp"
#include "core/decoder.hpp"
#include "core/errors.hpp"
#include "core/pipe.hpp"

using namespace timeside;
using namespace std::chrono_literals;

namespace {


const processor_info endless_info{"endless", "Endless", "1.0", "never ends", "", processor_kind::decoder, {}};

// Blocks of 256 stereo frames, positions contiguous; ends only when cancelled (or after `limit`
// blocks, when one is given).
class endless_decoder : public decoder {
public:
    explicit endless_decoder(int64_t limit = -1) : decoder(endless_info, {}), limit_(limit) {}
    stream_info open() override {
        stream_info s;
        s.format = {8000, 2};
        s.blocksize = 256;
        return s;
    }
    block_ptr read() override {
        if (cancelled_ || (limit_ >= 0 && produced_ >= limit_)) return nullptr;
        reader_ = std::this_thread::get_id();
        std::vector<float> samples(512, static_cast<float>(produced_.load()));
        auto b = block::make({8000, 2}, produced_ * 256, std::move(samples));
        ++produced_;
        return b;
    }
    void cancel() noexcept override { cancelled_ = true; }
    std::atomic<int64_t> produced_{0};
    std::thread::id reader_;  // the decoding thread

private:
    std::atomic<bool> cancelled_{false};
    int64_t limit_;
};

const processor_info sink_info{"sink_probe", "Sink", "1.0", "keeps positions", "", processor_kind::encoder, {}};

// Stands for an encoder: any consumer that is not an analyzer must get every block.
class position_probe : public consumer {
public:
    position_probe() : consumer(sink_info, {}) {}
    void setup(const stream_info&) override {}
    void process(const block_ptr& b) override {
        std::lock_guard lock(mutex_);
        positions_.push_back(b->position());
        thread_ = std::this_thread::get_id();
    }
    void finish() override {}
    std::vector<int64_t> positions() const {
        std::lock_guard lock(mutex_);
        return positions_;
    }
    std::thread::id thread_;

private:
    mutable std::mutex mutex_;
    std::vector<int64_t> positions_;
};

const processor_info gated_info{"gated", "Gated", "1.0", "waits for a gate", "", processor_kind::analyzer, {}};

// An analyzer that cannot keep up: each block waits until the test opens the gate.
class gated_analyzer : public analyzer {
public:
    gated_analyzer() : analyzer(gated_info, {}) {}
    void open_gate() {
        std::lock_guard lock(mutex_);
        open_ = true;
        cv_.notify_all();
    }
    std::vector<int64_t> positions() const {
        std::lock_guard lock(mutex_);
        return positions_;
    }
    std::thread::id thread_;

protected:
    void on_setup(const stream_info&) override {}
    void on_process(const block_ptr& b) override {
        std::unique_lock lock(mutex_);
        thread_ = std::this_thread::get_id();
        positions_.push_back(b->position());
        cv_.wait_for(lock, 10s, [&] { return open_; });
    }
    void on_finish() override {}

private:
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    bool open_ = false;
    std::vector<int64_t> positions_;
};

bool contiguous_from_zero(const std::vector<int64_t>& positions) {
    for (size_t i = 0; i < positions.size(); ++i)
        if (positions[i] != static_cast<int64_t>(i) * 256) return false;
    return true;
}

}  // namespace

TEST_CASE("a never-ending pipe runs until cancelled, every consumer seeing contiguous positions",
          "[core][pipe][live]") {
    auto source = std::make_shared<endless_decoder>();
    auto a = std::make_shared<position_probe>(), b = std::make_shared<position_probe>();
    timeside::pipe p(source);
    p.add(a).add(b);
    std::atomic<bool> cancel{false};
    run_options options;
    options.cancel = &cancel;
    auto run = std::async(std::launch::async, [&] { p.run(options); });

    REQUIRE(test::eventually([&] { return a->positions().size() >= 200 && b->positions().size() >= 200; }));
    cancel = true;
    source->cancel();
    REQUIRE(run.wait_for(5s) == std::future_status::ready);
    CHECK_THROWS_AS(run.get(), cancelled_error);  // cancelled, not complete: outputs are aborted

    const auto pa = a->positions(), pb = b->positions();
    CHECK(contiguous_from_zero(pa));
    CHECK(contiguous_from_zero(pb));
    CHECK(pa.size() >= 200);
}

TEST_CASE("a cancel flag alone stops a never-ending pipe", "[core][pipe][live]") {
    auto source = std::make_shared<endless_decoder>();
    auto a = std::make_shared<position_probe>();
    timeside::pipe p(source);
    p.add(a);
    std::atomic<bool> cancel{false};
    run_options options;
    options.cancel = &cancel;
    auto run = std::async(std::launch::async, [&] { p.run(options); });
    REQUIRE(test::eventually([&] { return a->positions().size() >= 50; }));
    cancel = true;
    REQUIRE(run.wait_for(5s) == std::future_status::ready);
    CHECK_THROWS_AS(run.get(), cancelled_error);
    CHECK(contiguous_from_zero(a->positions()));
}

TEST_CASE("in a lossy run a stalled analysis lane skips blocks, counted, while the encoder lane gets every one",
          "[core][pipe][live]") {
    const int64_t blocks = 300;
    auto source = std::make_shared<endless_decoder>(blocks);
    auto slow = std::make_shared<gated_analyzer>();
    auto fast = std::make_shared<position_probe>();
    // The analyzer first: a lossy lane must not run on the decoding thread, or it would hold it.
    timeside::pipe p(source);
    p.add(slow).add(fast);
    skip_counters skips;
    run_options options;
    options.lossy_analysis = true;
    options.skips = &skips;
    options.queue_blocks = 8;
    auto run = std::async(std::launch::async, [&] { p.run(options); });

    // The decoder gets through every block while the analyzer is stuck on its first one.
    REQUIRE(test::eventually([&] { return source->produced_ == blocks; }));
    REQUIRE(test::eventually([&] { return static_cast<int64_t>(fast->positions().size()) == blocks; }));
    REQUIRE(test::eventually([&] { return slow->positions().size() == 1; }));
    const int64_t skipped_while_stalled = skips.total();
    CHECK(skipped_while_stalled >= blocks - 1 - 8 - 1);

    slow->open_gate();
    REQUIRE(run.wait_for(5s) == std::future_status::ready);
    run.get();

    CHECK(contiguous_from_zero(fast->positions()));
    const auto seen = slow->positions();
    // What the analyzer saw and what it skipped add up to the stream: nothing lost uncounted.
    CHECK(static_cast<int64_t>(seen.size()) + skips.total() == blocks);
    CHECK(seen.size() <= 8 + 2);
    for (size_t i = 1; i < seen.size(); ++i) CHECK(seen[i] > seen[i - 1]);

    const auto lanes = skips.lanes();
    REQUIRE(lanes.size() == 2);
    int lossy = 0;
    for (const auto& l : lanes) {
        if (l.lossy) {
            ++lossy;
            CHECK(l.consumers == std::vector<std::string>{"gated"});
            CHECK(l.skipped == skips.total());
        } else {
            CHECK(l.consumers == std::vector<std::string>{"sink_probe"});
            CHECK(l.skipped == 0);
        }
    }
    CHECK(lossy == 1);
    CHECK(slow->thread_ != fast->thread_);
}

TEST_CASE("with fewer_threads the encoders run on the decoding thread and the analyzers share one lane that skips",
          "[core][pipe][live]") {
    const int64_t blocks = 300;
    auto source = std::make_shared<endless_decoder>(blocks);
    auto slow = std::make_shared<gated_analyzer>(), slow2 = std::make_shared<gated_analyzer>();
    auto fast = std::make_shared<position_probe>(), fast2 = std::make_shared<position_probe>();
    timeside::pipe p(source);
    p.add(slow).add(fast).add(slow2).add(fast2);
    skip_counters skips;
    run_options options;
    options.lossy_analysis = true;
    options.fewer_threads = true;
    options.skips = &skips;
    options.queue_blocks = 8;
    auto run = std::async(std::launch::async, [&] { p.run(options); });

    // Both encoders get every block while both analyzers are stuck on their first one.
    REQUIRE(test::eventually([&] { return static_cast<int64_t>(fast2->positions().size()) == blocks; }));
    REQUIRE(test::eventually([&] { return slow->positions().size() == 1; }));
    CHECK(skips.total() >= blocks - 1 - 8 - 1);
    slow->open_gate();
    slow2->open_gate();
    REQUIRE(run.wait_for(5s) == std::future_status::ready);
    run.get();

    CHECK(contiguous_from_zero(fast->positions()));
    CHECK(contiguous_from_zero(fast2->positions()));
    CHECK(fast->thread_ == source->reader_);  // no hand-over for the encoders
    CHECK(fast2->thread_ == source->reader_);
    CHECK(slow->thread_ == slow2->thread_);  // one thread for the analysis
    CHECK(slow->thread_ != source->reader_);
    // One lane for both analyzers: they saw the same blocks, and those and the skipped ones add up.
    CHECK(slow->positions() == slow2->positions());
    CHECK(static_cast<int64_t>(slow->positions().size()) + skips.total() == blocks);
    const auto lanes = skips.lanes();
    REQUIRE(lanes.size() == 3);
    CHECK(lanes[0].consumers == std::vector<std::string>{"sink_probe"});
    CHECK(lanes[1].consumers == std::vector<std::string>{"sink_probe"});
    CHECK(lanes[2].consumers == std::vector<std::string>{"gated", "gated"});
    CHECK(lanes[2].lossy);
    CHECK(lanes[2].skipped == skips.total());
}

TEST_CASE("without lossy_analysis a stalled analyzer holds the decoder back", "[core][pipe][live]") {
    auto source = std::make_shared<endless_decoder>(300);
    auto slow = std::make_shared<gated_analyzer>();
    auto fast = std::make_shared<position_probe>();
    timeside::pipe p(source);
    p.add(fast).add(slow);
    run_options options;
    options.queue_blocks = 8;
    auto run = std::async(std::launch::async, [&] { p.run(options); });
    // The decoder stops at the queue's bound (8 queued, the first maybe taken, one waiting): it
    // has started, and it does not get through the stream while the analyzer is stuck.
    REQUIRE(test::eventually([&] { return source->produced_ >= 9; }));
    CHECK_FALSE(test::eventually([&] { return source->produced_ > 12; }, 200ms));
    slow->open_gate();
    REQUIRE(run.wait_for(5s) == std::future_status::ready);
    run.get();
    CHECK(slow->positions().size() == 300);
    CHECK(contiguous_from_zero(slow->positions()));
}
