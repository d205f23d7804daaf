// The pipe: one decode feeds every consumer on its own lane, in order; effects feed what follows
// them; a failure anywhere stops the decode and aborts everything; cancellation is prompt.
#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "core/errors.hpp"
#include "core/pipe.hpp"
#include "decoders/array_decoder.hpp"

using namespace timeside;

namespace {

const processor_info probe_info{"probe", "Probe", "1.0", "records what it sees", "", processor_kind::analyzer, {}};

// Records blocks, threads and lifecycle calls; can be told to fail at a given block.
class probe : public consumer {
public:
    explicit probe(int fail_at = -1, bool fail_setup = false)
        : consumer(probe_info, {}), fail_at_(fail_at), fail_setup_(fail_setup) {}
    void setup(const stream_info& in) override {
        if (fail_setup_) throw processing_error("probe: cannot set up");
        format = in.format;
    }
    void process(const block_ptr& b) override {
        if (static_cast<int>(blocks.size()) == fail_at_) throw processing_error("probe: failed on purpose");
        blocks.push_back(b);
        threads.insert(std::this_thread::get_id());
    }
    void finish() override { finished = true; }
    void abort() noexcept override { aborted = true; }

    audio_format format;
    std::vector<block_ptr> blocks;
    std::set<std::thread::id> threads;
    bool finished = false, aborted = false;

private:
    int fail_at_;
    bool fail_setup_;
};

const processor_info gain_info{"gain", "Gain", "1.0", "doubles", "", processor_kind::effect, {}};
class doubler : public effect {
public:
    doubler() : effect(gain_info, {}) {}
    stream_info setup(const stream_info& in) override { return in; }
    block_ptr transform(const block_ptr& in) override {
        std::vector<float> s(in->samples().begin(), in->samples().end());
        for (auto& x : s) x *= 2;
        return block::make(in->format(), in->position(), std::move(s));
    }
};

std::shared_ptr<array_decoder> ramp(int64_t frames, int channels = 2, int blocksize = 1000) {
    std::vector<float> s(static_cast<size_t>(frames * channels));
    for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<float>(i);
    return array_decoder::from_samples(std::move(s), 8000, channels, blocksize);
}

}  // namespace

TEST_CASE("every consumer sees every block, in order, sharing the same block objects", "[core][pipe]") {
    auto a = std::make_shared<probe>(), b = std::make_shared<probe>();
    auto p = ramp(10500) | a | b;
    p.run();
    REQUIRE(a->blocks.size() == 11);
    REQUIRE(b->blocks.size() == 11);
    int64_t expected = 0;
    for (size_t i = 0; i < a->blocks.size(); ++i) {
        CHECK(a->blocks[i]->position() == expected);
        CHECK(a->blocks[i].get() == b->blocks[i].get());  // fan-out shares, never copies
        expected += a->blocks[i]->frames();
    }
    CHECK(expected == 10500);
    CHECK(a->blocks.back()->frames() == 500);
    CHECK(a->finished);
    CHECK(b->finished);
    CHECK_FALSE(a->aborted);
    CHECK(a->format == audio_format{8000, 2});
}

TEST_CASE("each consumer runs on a lane of its own: the first on the decoding thread", "[core][pipe]") {
    auto a = std::make_shared<probe>(), b = std::make_shared<probe>(), c = std::make_shared<probe>();
    (ramp(5000) | a | b | c).run();
    REQUIRE(a->threads.size() == 1);
    REQUIRE(b->threads.size() == 1);
    REQUIRE(c->threads.size() == 1);
    CHECK(*a->threads.begin() == std::this_thread::get_id());
    CHECK(*b->threads.begin() != std::this_thread::get_id());
    CHECK(*b->threads.begin() != *c->threads.begin());
}

TEST_CASE("an effect changes the stream only for the processors after it", "[core][pipe]") {
    auto before = std::make_shared<probe>(), after = std::make_shared<probe>();
    (ramp(3000, 1) | before | std::make_shared<doubler>() | after).run();
    REQUIRE(before->blocks.size() == 3);
    REQUIRE(after->blocks.size() == 3);
    CHECK(before->blocks[2]->samples()[7] == 2007.0f);
    CHECK(after->blocks[2]->samples()[7] == 4014.0f);
}

TEST_CASE("a consumer failing mid-stream stops the run and aborts every consumer", "[core][pipe]") {
    auto ok = std::make_shared<probe>(), bad = std::make_shared<probe>(3);
    auto p = ramp(100000) | ok | bad;
    CHECK_THROWS_WITH(p.run(), "probe: failed on purpose");
    CHECK(ok->aborted);
    CHECK(bad->aborted);
    CHECK_FALSE(ok->finished);
    CHECK_FALSE(bad->finished);
    CHECK(ok->blocks.size() < 100);  // the decode stopped early
}

TEST_CASE("a setup failure stops the run before anything is decoded", "[core][pipe]") {
    auto first = std::make_shared<probe>(), failing = std::make_shared<probe>(-1, true);
    auto p = ramp(10000) | first | failing;
    CHECK_THROWS_AS(p.run(), processing_error);
    CHECK(first->blocks.empty());
    CHECK(first->aborted);
}

TEST_CASE("a raised cancel flag stops the run with cancelled_error", "[core][pipe]") {
    std::atomic<bool> cancel{false};
    auto a = std::make_shared<probe>();
    auto p = ramp(1000000, 1, 1000) | a;
    run_options opts;
    opts.cancel = &cancel;
    opts.progress = [&](int64_t done, int64_t) { if (done >= 50000) cancel = true; };
    CHECK_THROWS_AS(p.run(opts), cancelled_error);
    CHECK(a->aborted);
    CHECK(a->blocks.size() < 1000);
}

TEST_CASE("progress reports frames decoded against the known total", "[core][pipe]") {
    std::vector<std::pair<int64_t, int64_t>> seen;
    run_options opts;
    opts.progress = [&](int64_t done, int64_t total) { seen.emplace_back(done, total); };
    (ramp(2500) | std::make_shared<probe>()).run(opts);
    REQUIRE(seen.size() == 3);
    CHECK(seen.back() == std::make_pair<int64_t, int64_t>(2500, 2500));
}

TEST_CASE("a pipe must start with a decoder and have only one", "[core][pipe]") {
    CHECK_THROWS_AS(std::make_shared<probe>() | std::make_shared<probe>(), usage_error);
    CHECK_THROWS_AS(ramp(10) | ramp(10), usage_error);
}

namespace {
// A parent that counts blocks, and a child that checks the parent saw each block first.
const processor_info parent_info{"parent_probe", "Parent", "1.0", "counts", "", processor_kind::analyzer, {}};
class parent_probe : public consumer {
public:
    parent_probe() : consumer(parent_info, {}) {}
    void setup(const stream_info&) override {}
    void process(const block_ptr& b) override {
        seen = b->position() + b->frames();
        threads.insert(std::this_thread::get_id());
    }
    void finish() override {}
    std::atomic<int64_t> seen{0};
    std::set<std::thread::id> threads;
};

const processor_info child_info{"child_probe", "Child", "1.0", "reads its parent", "", processor_kind::analyzer, {}};
class child_probe : public consumer {
public:
    child_probe() : consumer(child_info, {}) { parents_.push_back(std::make_shared<parent_probe>()); }
    parent_probe& parent() { return static_cast<parent_probe&>(*parents_[0]); }
    void setup(const stream_info&) override {}
    void process(const block_ptr& b) override {
        if (parent().seen != b->position() + b->frames()) out_of_order = true;
        threads.insert(std::this_thread::get_id());
    }
    void finish() override {}
    bool out_of_order = false;
    std::set<std::thread::id> threads;
};
}  // namespace

TEST_CASE("a processor's parent is inserted, runs first on the same lane, and is shared", "[core][pipe]") {
    auto first = std::make_shared<probe>();
    auto a = std::make_shared<child_probe>(), b = std::make_shared<child_probe>();
    auto p = ramp(20000) | first | a | b;
    REQUIRE(p.processors().size() == 4);  // probe, one shared parent, two children
    CHECK(&a->parent() == &b->parent());
    p.run();
    CHECK_FALSE(a->out_of_order);
    CHECK_FALSE(b->out_of_order);
    CHECK(a->parent().seen == 20000);
    CHECK(a->threads == a->parent().threads);  // one lane for parent and children
    CHECK(a->threads == b->threads);
    CHECK(*a->threads.begin() != *first->threads.begin());
}
