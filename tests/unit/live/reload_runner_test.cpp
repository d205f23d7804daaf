// The reload thread: callers answered by a reload that began after they asked, requests made
// during a reload coalesced into one more, a stop that lets the running reload finish and
// answers the rest with nothing, and a reload that throws not ending the thread.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stdexcept>

#include <catch2/catch.hpp>

#include "server/live/reload_runner.hpp"
#include "../test_support.hpp"

using namespace timeside::server::live;
using timeside::test::eventually;

namespace {

// A reload that waits, on its N-th run, until released; its report counts the runs (unchanged = N).
struct gated_reload {
    std::mutex mutex;
    std::condition_variable cv;
    int runs = 0, started = 0;
    int hold_run = 1;  // the run that waits
    bool released = false;
    bool throw_on_hold = false;

    reload_report operator()() {
        std::unique_lock lock(mutex);
        const int n = ++runs;
        started = n;
        cv.notify_all();
        if (n == hold_run) {
            cv.wait(lock, [this] { return released; });
            if (throw_on_hold) throw std::runtime_error("broken folder");
        }
        reload_report r;
        r.unchanged = static_cast<size_t>(n);
        return r;
    }
    void wait_started(int n) {
        std::unique_lock lock(mutex);
        REQUIRE(cv.wait_for(lock, std::chrono::seconds(5), [&] { return started >= n; }));
    }
    void release() {
        std::lock_guard lock(mutex);
        released = true;
        cv.notify_all();
    }
};

// What a caller was answered: -1 until called, 0 for nullopt, else the run that answered it.
struct answer {
    std::atomic<int> run{-1};
    reload_runner::done_fn fn() {
        return [this](const std::optional<reload_report>& r) { run = r ? static_cast<int>(r->unchanged) : 0; };
    }
};

}  // namespace

TEST_CASE("requests made during a reload are answered by one more reload after it", "[reload]") {
    gated_reload gate;
    reload_runner runner([&] { return gate(); });
    answer a, b, c;
    runner.request(a.fn());
    gate.wait_started(1);  // run 1 has read the folder: b and c ask after it
    runner.request(b.fn());
    runner.request(c.fn());
    CHECK(a.run == -1);
    gate.release();
    REQUIRE(eventually([&] { return a.run != -1 && b.run != -1 && c.run != -1; }));
    CHECK(a.run == 1);
    CHECK(b.run == 2);  // not run 1's report: run 1 read the folder before they asked
    CHECK(c.run == 2);  // b and c share one reload
    CHECK(runner.runs() == 2);
    answer d;
    runner.request(d.fn());
    REQUIRE(eventually([&] { return d.run != -1; }));
    CHECK(d.run == 3);
}

TEST_CASE("stop lets the reload in progress finish and answers the waiting callers with nothing", "[reload]") {
    gated_reload gate;
    reload_runner runner([&] { return gate(); });
    answer a, b;
    runner.request(a.fn());
    gate.wait_started(1);
    runner.request(b.fn());
    std::thread stopper([&] { runner.stop(); });
    // Run 1 is released once stop() has begun (it waits for run 1 to finish).
    REQUIRE(eventually([&] { return runner.stopped(); }));
    CHECK(a.run == -1);
    gate.release();
    stopper.join();
    CHECK(a.run == 1);
    CHECK(b.run == 0);  // never run: the folder is not read after a stop
    CHECK(runner.runs() == 1);
    answer late;
    runner.request(late.fn());
    CHECK(late.run == 0);  // at once, on the caller's thread
}

TEST_CASE("a reload that throws answers its callers with nothing and the runner goes on", "[reload]") {
    gated_reload gate;
    gate.throw_on_hold = true;
    gate.released = true;
    reload_runner runner([&] { return gate(); });
    answer a, b;
    runner.request(a.fn());
    REQUIRE(eventually([&] { return a.run != -1; }));
    CHECK(a.run == 0);
    runner.request(b.fn());
    REQUIRE(eventually([&] { return b.run != -1; }));
    CHECK(b.run == 2);
}
