// A live pipe under a deliberately slow analyzer: the analysis lane skips blocks (counted) while
// the encoder lane keeps real time, its Ogg stream as long as the wall-clock run.
#include <catch2/catch.hpp>

#include <thread>

#include "../encoders/encoder_test_support.hpp"
#include "core/analyzer.hpp"
#include "core/encoder.hpp"
#include "core/errors.hpp"
#include "core/pipe.hpp"
#include "core/registry.hpp"
#include "live_test_support.hpp"
#include "server/live/live_source.hpp"
#include "server/live/output_sink.hpp"
#include "server/live/signal_input.hpp"

using namespace timeside;
using namespace timeside::server::live;
using namespace std::chrono_literals;

namespace {
const processor_info slow_info{"slow", "Slow", "1.0", "takes 100 ms a block", "", processor_kind::analyzer, {}};

// Four times slower than real time at 1024-frame blocks (23 ms of audio each).
class slow_analyzer : public analyzer {
public:
    slow_analyzer() : analyzer(slow_info, {}) {}
    std::atomic<int64_t> blocks{0};

protected:
    void on_setup(const stream_info&) override {}
    void on_process(const block_ptr&) override {
        std::this_thread::sleep_for(100ms);
        ++blocks;
    }
    void on_finish() override {}
};
}  // namespace

TEST_CASE("a slow analysis lane skips blocks while the encoder output stays real time", "[live][pipe]") {
    live_source_options so;
    so.format = {44100, 2};
    auto source = std::make_shared<live_source>(so, std::make_shared<signal_input>("sine:440"), nullptr);
    auto target = std::make_shared<test::recording_target>();
    auto vorbis = std::dynamic_pointer_cast<encoder>(get_processor("vorbis_encoder"));
    vorbis->set_sink(std::make_shared<output_sink>(target, "ogg"));
    auto slow = std::make_shared<slow_analyzer>();
    timeside::pipe p(source);
    p.add(slow).add(vorbis);
    skip_counters skips;
    std::atomic<bool> cancel{false};
    run_options o;
    o.lossy_analysis = true;
    o.skips = &skips;
    o.cancel = &cancel;
    o.queue_blocks = 8;
    std::thread runner([&] { CHECK_THROWS_AS(p.run(o), cancelled_error); });
    const auto t0 = std::chrono::steady_clock::now();
    REQUIRE(test::eventually([&] { return source->status().stream_frames >= 2 * 44100; }, 4000ms));
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    cancel = true;
    source->cancel();
    runner.join();

    const int64_t frames = source->status().stream_frames;
    CHECK(static_cast<double>(frames) / 44100 == Approx(elapsed).margin(0.15));
    const int64_t blocks = frames / 1024;
    CHECK(skips.total() > blocks / 2);  // the analyzer took at most a quarter, plus its queue
    CHECK(slow->blocks + skips.total() <= blocks);
    CHECK(slow->blocks <= static_cast<int64_t>(elapsed / 0.1) + 1);
    // The encoder kept up: its granules reach the stream's length, less the page it has not
    // finished (the encoder ends a page every half second) and its lookahead.
    const auto pages = test::parse_ogg(target->bytes()).pages;
    REQUIRE_FALSE(pages.empty());
    int64_t granule = 0;
    for (const auto& pg : pages)
        if (pg.granule != -1) granule = std::max(granule, pg.granule);
    CHECK(granule >= frames - 44100 / 2 - 4096);
}
