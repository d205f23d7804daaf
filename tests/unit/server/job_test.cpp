// Shared outputs: every client of a job reads the same bytes from the start, however late it
// joins; the last client leaving stops the job unless the cache wants its output; a finished job
// lands in the cache whole, patched headers included; the runner shares jobs by key and caps them.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <thread>

#include "core/errors.hpp"
#include "../test_support.hpp"
#include "server/media/job.hpp"
#include "server/media/job_runner.hpp"

using namespace timeside;
using namespace timeside::server;
using namespace std::chrono_literals;
using state = http::body_stream::state;

namespace {

std::vector<unsigned char> bytes(std::string_view s) { return {s.begin(), s.end()}; }

// Everything a reader has now, and whether it saw the end.
std::string drain(http::body_stream& r, state* last = nullptr) {
    std::string out;
    std::vector<unsigned char> chunk;
    std::string error;
    for (;;) {
        chunk.clear();
        const auto s = r.take(chunk, error);
        if (s != state::data) {
            if (last) *last = s;
            return out;
        }
        out.append(chunk.begin(), chunk.end());
    }
}

}  // namespace

TEST_CASE("every reader gets every byte from the start, a late one too", "[server][job]") {
    auto j = std::make_shared<media::job>("x.ogg", std::filesystem::path(), false);
    auto first = j->add_reader();
    int notified = 0;
    first->set_notify([&] { ++notified; });
    j->write(bytes("head"), true);
    CHECK(notified == 1);
    CHECK(drain(*first) == "head");
    j->write(bytes("-body"), false);
    auto late = j->add_reader();
    late->set_notify([] {});
    CHECK(drain(*late) == "head-body");
    CHECK(drain(*first) == "-body");
    CHECK(j->rewrite(0, bytes("HEAD")));
    CHECK_FALSE(j->rewrite(7, bytes("xxx")));  // past what was written
    j->finish("");
    state s{};
    auto after = j->add_reader();
    CHECK(drain(*after, &s) == "HEAD-body");  // a reader after the patch sees it
    CHECK(s == state::end);
    CHECK(drain(*first, &s).empty());
    CHECK(s == state::end);
}

TEST_CASE("a failed job ends its readers with the error", "[server][job]") {
    auto j = std::make_shared<media::job>("x.mp3", std::filesystem::path(), false);
    auto r = j->add_reader();
    r->set_notify([] {});
    j->write(bytes("abc"), false);
    j->finish("x.mp3: the source is corrupt");
    std::vector<unsigned char> chunk;
    std::string error;
    CHECK(r->take(chunk, error) == state::data);
    chunk.clear();
    CHECK(r->take(chunk, error) == state::error);
    CHECK(error == "x.mp3: the source is corrupt");
}

TEST_CASE("the last reader leaving cancels a job nobody else wants", "[server][job]") {
    auto lonely = std::make_shared<media::job>("a.ogg", std::filesystem::path(), false);
    auto a = lonely->add_reader(), b = lonely->add_reader();
    a->set_notify([] {});
    b->set_notify([] {});
    a->cancel();
    CHECK_FALSE(lonely->cancelled());  // b still reads
    b->cancel();
    CHECK(lonely->cancelled());

    auto wanted = std::make_shared<media::job>("b.ogg", std::filesystem::path(), true);
    auto c = wanted->add_reader();
    c->set_notify([] {});
    c->cancel();
    CHECK_FALSE(wanted->cancelled());  // the cache wants it: it runs on
}

TEST_CASE("the runner shares a job by key, caches its output and caps the jobs", "[server][job]") {
    test::temp_dir d;
    media::disk_cache cache(d.path(), 1 << 20);
    media::job_runner runner(cache, 1);
    std::mutex m;
    std::condition_variable cv;
    bool go = false;
    std::atomic<int> runs{0};
    std::string outcome;
    media::job_spec spec;
    spec.key = media::cache_key({"test"});
    spec.ext = "ogg";
    spec.label = "t.ogg";
    spec.produce = [&](byte_sink& out, const std::atomic<bool>&) {
        ++runs;
        out.write(bytes("0000-data"), true);
        std::unique_lock l(m);
        cv.wait(l, [&] { return go; });
        out.rewrite(0, bytes("HDR!"));
    };
    spec.on_end = [&](const std::string& o, double) { outcome = o; };
    auto one = runner.start_or_join(spec);
    REQUIRE(one.stream);
    CHECK_FALSE(one.joined);
    auto two = runner.start_or_join(spec);
    REQUIRE(two.stream);
    CHECK(two.joined);
    CHECK(runner.active() == 1);

    media::job_spec other = spec;
    other.key = media::cache_key({"other"});
    CHECK_FALSE(runner.start_or_join(other).stream);  // one job at most

    one.stream->set_notify([] {});
    two.stream->set_notify([] {});
    {
        std::lock_guard l(m);
        go = true;
    }
    cv.notify_all();
    for (int i = 0; i < 200 && runner.active() > 0; ++i) std::this_thread::sleep_for(10ms);
    CHECK(runner.active() == 0);
    CHECK(runs == 1);
    state s{};
    std::string got;
    for (int i = 0; i < 200 && s != state::end; ++i) {
        got += drain(*two.stream, &s);
        std::this_thread::sleep_for(5ms);
    }
    CHECK(got == "HDR!-data");  // streamed before the patch (a live reader cannot see it)...
    auto cached = cache.find(spec.key, "ogg");
    REQUIRE(cached);
    std::string stored(cached->size(), '\0');
    REQUIRE(::pread(cached->fd(), stored.data(), stored.size(), 0) == 9);
    CHECK(stored == "HDR!-data");  // ...and the cache holds the patched file
    runner.stop_all();
    CHECK(outcome == "done");
}

TEST_CASE("a job cancelled by its last client leaves nothing in the cache", "[server][job]") {
    test::temp_dir d;
    media::disk_cache cache(d.path(), 0);  // no cache: nobody else wants the output
    media::job_runner runner(cache, 4);
    std::string outcome;
    media::job_spec spec;
    spec.key = media::cache_key({"cancel"});
    spec.ext = "wav";
    spec.label = "c.wav";
    spec.produce = [](byte_sink& out, const std::atomic<bool>& cancel) {
        for (int i = 0; i < 1000; ++i) {
            if (cancel) throw cancelled_error();
            out.write(bytes("x"), false);
            std::this_thread::sleep_for(1ms);
        }
    };
    spec.on_end = [&](const std::string& o, double) { outcome = o; };
    auto a = runner.start_or_join(spec);
    a.stream->set_notify([] {});
    std::this_thread::sleep_for(20ms);
    a.stream->cancel();
    for (int i = 0; i < 200 && runner.active() > 0; ++i) std::this_thread::sleep_for(5ms);
    CHECK(runner.active() == 0);
    runner.stop_all();
    CHECK(outcome == "cancelled");
    CHECK(std::filesystem::is_empty(d.path()));
}
