// Shared outputs: every client of a job reads the same bytes from the start, however late it
// joins; the last client leaving stops the job unless the cache wants its output; a finished job
// lands in the cache whole, patched headers included; the runner shares jobs by key and caps them.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "core/errors.hpp"
#include "core/pipe.hpp"
#include "core/processor.hpp"
#include "../test_support.hpp"
#include "server/media/job.hpp"
#include "server/media/job_runner.hpp"
#include "server/media/source_pass.hpp"

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
    // Mid-run: the reader has bytes of it, so the cancel is what stops the job, not its start.
    std::string got;
    for (int i = 0; i < 400 && got.empty(); ++i) {
        got += drain(*a.stream);
        if (got.empty()) std::this_thread::sleep_for(5ms);
    }
    REQUIRE_FALSE(got.empty());
    a.stream->cancel();
    for (int i = 0; i < 200 && runner.active() > 0; ++i) std::this_thread::sleep_for(5ms);
    CHECK(runner.active() == 0);
    runner.stop_all();
    CHECK(outcome == "cancelled");
    CHECK(std::filesystem::is_empty(d.path()));
}

namespace {

// Runs `spec` alone and waits for its end; returns the reader's final state, error and status.
struct ended {
    std::string outcome, error, body;
    http::status code{};
};
ended run_to_end(media::job_runner& runner, media::job_spec spec) {
    ended e;
    spec.on_end = [&e](const std::string& o, double) { e.outcome = o; };
    auto a = runner.start_or_join(spec);
    REQUIRE(a.stream);
    a.stream->set_notify([] {});
    for (int i = 0; i < 400 && runner.active() > 0; ++i) std::this_thread::sleep_for(5ms);
    REQUIRE(runner.active() == 0);
    std::vector<unsigned char> chunk;
    for (;;) {
        chunk.clear();
        const auto s = a.stream->take(chunk, e.error);
        e.body.append(chunk.begin(), chunk.end());
        if (s == state::data) continue;
        e.code = a.stream->error_status();
        break;
    }
    runner.stop_all();
    return e;
}

media::job_spec spec_of(std::string name, std::function<void(byte_sink&, const std::atomic<bool>&)> produce) {
    media::job_spec spec;
    spec.key = media::cache_key({name});
    spec.ext = "ogg";
    spec.label = name + ".ogg";
    spec.source_path = "/srv/private/music/" + name + ".wav";
    spec.source_name = name + ".wav";
    spec.produce = std::move(produce);
    return spec;
}

}  // namespace

TEST_CASE("a value refused at setup answers 400 with its message and caches nothing", "[server][job]") {
    test::temp_dir d;
    media::disk_cache cache(d.path(), 1 << 20);
    media::job_runner runner(cache, 2);
    auto spec = spec_of("w", [](byte_sink&, const std::atomic<bool>&) {
        throw usage_error("waveform_data: pixels_per_second=44100 leaves 1 samples per pixel at 44100 Hz");
    });
    const auto e = run_to_end(runner, spec);
    CHECK(e.outcome == "refused");
    CHECK(e.code == http::status::bad_request);
    CHECK(e.error.find("pixels_per_second=44100") != std::string::npos);
    CHECK_FALSE(cache.find(spec.key, "ogg"));
}

TEST_CASE("a job error gives the client its public message, never the server's paths", "[server][job]") {
    test::temp_dir d;
    media::disk_cache cache(d.path(), 1 << 20);
    media::job_runner runner(cache, 2);
    SECTION("the job layer's own error: public message and status, detail for the log") {
        const auto e = run_to_end(runner, spec_of("j", [](byte_sink&, const std::atomic<bool>&) {
                                      throw media::job_error("j.ogg: cannot write the output: No space left on device",
                                                             "j.ogg: cannot write /var/cache/timeside/.tmp-1: ENOSPC");
                                  }));
        CHECK(e.outcome == "failed");
        CHECK(e.code == http::status::internal_server_error);
        CHECK(e.error == "j.ogg: cannot write the output: No space left on device");
    }
    SECTION("a decoder's error names the item as clients know it") {
        const auto e = run_to_end(runner, spec_of("s", [](byte_sink&, const std::atomic<bool>&) {
                                      throw processing_error("file_decoder: /srv/private/music/s.wav: not audio");
                                  }));
        CHECK(e.outcome == "failed");
        CHECK(e.error == "file_decoder: s.wav: not audio");
    }
}

namespace {

// A cache whose folder was replaced by a file after it started: it can take no temporary file.
struct cache_turned_file {
    cache_turned_file() {
        std::filesystem::remove_all(dir);
        std::ofstream(dir) << "a file where the folder was";
    }
    test::temp_dir d;
    const std::filesystem::path dir = d.path() / "cache";
    media::disk_cache cache{dir, 1 << 20};
    media::job_runner runner{cache, 2};
};

}  // namespace

TEST_CASE("a cache that cannot take a temporary file serves the output uncached", "[server][job]") {
    cache_turned_file f;
    auto spec = spec_of("u", [](byte_sink& out, const std::atomic<bool>&) { out.write(bytes("all of it"), false); });
    const auto e = run_to_end(f.runner, spec);
    CHECK(e.outcome == "done");
    CHECK(e.error.empty());
    CHECK(e.body == "all of it");
    CHECK_FALSE(f.cache.find(spec.key, "ogg"));
    CHECK(std::filesystem::is_regular_file(f.dir));
}

TEST_CASE("no output file at all is a job error whose message names no path", "[server][job]") {
    cache_turned_file f;
    const std::string hidden = (f.d.path() / "no-such-tmp").string();
    const char* saved = std::getenv("TMPDIR");
    const std::string saved_value = saved ? saved : "";
    ::setenv("TMPDIR", hidden.c_str(), 1);
    try {
        f.runner.start_or_join(spec_of("n", [](byte_sink&, const std::atomic<bool>&) {}));
        FAIL("an output was created");
    } catch (const media::job_error& e) {
        const std::string what = e.what();
        CHECK(what.find('/') == std::string::npos);
        CHECK(what.find("cannot create the output file") != std::string::npos);
        CHECK(e.detail().find(hidden) != std::string::npos);
    }
    if (saved) ::setenv("TMPDIR", saved_value.c_str(), 1);
    else ::unsetenv("TMPDIR");
}

namespace {

// A consumer that does something to the world on its first block (a file rewritten under the run).
class first_block_hook : public consumer {
public:
    explicit first_block_hook(std::function<void()> hook) : consumer(info(), {}), hook_(std::move(hook)) {}
    static const processor_info& info() {
        static const processor_info i{"hook", "Hook", "1.0", "acts on the first block", "", processor_kind::analyzer, {}};
        return i;
    }
    void setup(const stream_info&) override {}
    void process(const block_ptr&) override {
        if (hook_) std::exchange(hook_, nullptr)();
    }
    void finish() override {}

private:
    std::function<void()> hook_;
};

// A 10 s 16-bit WAV of silence written by hand, and the item_source the library would make of it.
media::item_source wav_item(const std::filesystem::path& path) {
    const uint32_t rate = 8000, frames = rate * 10, data = frames * 2;
    std::vector<unsigned char> h(44 + data, 0);
    auto le = [&h](size_t at, uint32_t v, int n) {
        for (int i = 0; i < n; ++i) h[at + static_cast<size_t>(i)] = static_cast<unsigned char>(v >> (8 * i));
    };
    std::memcpy(&h[0], "RIFF", 4);
    le(4, 36 + data, 4);
    std::memcpy(&h[8], "WAVEfmt ", 8);
    le(16, 16, 4);
    le(20, 1, 2);
    le(22, 1, 2);
    le(24, rate, 4);
    le(28, rate * 2, 4);
    le(32, 2, 2);
    le(34, 16, 2);
    std::memcpy(&h[36], "data", 4);
    le(40, data, 4);
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(h.data()), static_cast<std::streamsize>(h.size()));
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    media::item_source src;
    src.file = path;
    src.relative = "album/item.wav";
    src.sha1 = "0000000000000000000000000000000000000000";
    src.size = static_cast<uint64_t>(st.st_size);
    src.mtime_ns = int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    return src;
}

void run_pass(const media::item_source& src, std::function<void()> hook) {
    std::atomic<bool> cancel{false};
    auto p = media::source_pipe(src, {std::make_shared<first_block_hook>(std::move(hook))});
    media::run_source_pass(src, *p, cancel);
}

}  // namespace

TEST_CASE("a source pass over the file the library scanned runs to its end", "[server][job][source]") {
    test::temp_dir d;
    const auto src = wav_item(d.path() / "item.wav");
    CHECK_NOTHROW(run_pass(src, {}));
}

TEST_CASE("a source rewritten, truncated or replaced while it is read fails the pass, naming the item",
          "[server][job][source]") {
    test::temp_dir d;
    const auto path = d.path() / "item.wav";
    const auto src = wav_item(path);
    const auto check = [&](std::function<void()> change, const std::string& how) {
        try {
            run_pass(src, std::move(change));
            FAIL("the pass succeeded");
        } catch (const media::source_changed_error& e) {
            const std::string what = e.what();
            CHECK(what.find("album/item.wav changed while it was read") != std::string::npos);
            CHECK(what.find(how) != std::string::npos);
            CHECK(what.find(d.path().string()) == std::string::npos);
            CHECK(e.code() == http::status::internal_server_error);
        }
    };
    SECTION("truncated") { check([&] { std::filesystem::resize_file(path, 44); }, "size"); }
    SECTION("rewritten in place with other bytes of the same size") {
        check([&] {
            struct stat st {};
            REQUIRE(::stat(path.c_str(), &st) == 0);
            {
                std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
                f.seekp(1000);
                f.write("changed", 7);
            }
            // A new mtime, as a later write gets: set, since a coarse clock may give the same one.
            timespec times[2] = {st.st_atim, st.st_mtim};
            times[1].tv_sec += 1;
            REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
        }, "modified");
    }
    SECTION("replaced by a rename") {
        check([&] {
            const auto other = d.path() / "other.wav";
            std::filesystem::copy_file(path, other);
            struct stat st {};
            REQUIRE(::stat(path.c_str(), &st) == 0);
            const timespec times[2] = {st.st_atim, st.st_mtim};  // same size, same mtime: only the inode differs
            REQUIRE(::utimensat(AT_FDCWD, other.c_str(), times, 0) == 0);
            std::filesystem::rename(other, path);
        }, "replaced");
    }
}

TEST_CASE("a source changed since the library scanned it is refused before it is read",
          "[server][job][source]") {
    test::temp_dir d;
    auto src = wav_item(d.path() / "item.wav");
    src.size += 1;
    bool reached = false;
    try {
        run_pass(src, [&] { reached = true; });
        FAIL("the pass succeeded");
    } catch (const media::source_changed_error& e) {
        CHECK(std::string(e.what()).find("album/item.wav changed since the library scanned it") != std::string::npos);
        CHECK(e.code() == http::status::internal_server_error);
    }
    CHECK_FALSE(reached);
}

namespace {

// Two runs of one output side by side: a runner whose job writes "first" (its first run) or
// "again", then waits until released or cancelled; `runs` counts the runs started.
struct gated_runs {
    gated_runs(const std::string& key, unsigned max_jobs) : cache(d.path(), 1 << 20), runner(cache, max_jobs) {
        spec.key = media::cache_key({key});
        spec.ext = "json";
        spec.label = key + ".json";
        spec.produce = [this](byte_sink& out, const std::atomic<bool>& cancel) {
            const int n = ++runs;
            out.write(bytes(n == 1 ? "first" : "again"), true);
            std::unique_lock l(m);
            cv.wait(l, [&] { return go || cancel.load(); });
            if (cancel) throw cancelled_error();
        };
    }
    ~gated_runs() {
        release();
        runner.stop_all();
    }
    // After a cancel: the waiting run sees it (taking the lock first: no lost wake-up).
    void wake() {
        { std::lock_guard l(m); }
        cv.notify_all();
    }
    void release() {
        {
            std::lock_guard l(m);
            go = true;
        }
        cv.notify_all();
    }

    test::temp_dir d;
    media::disk_cache cache;
    std::mutex m;
    std::condition_variable cv;
    bool go = false;
    std::atomic<int> runs{0};
    media::job_spec spec;
    media::job_runner runner;  // last: stopped before what its runs use goes
};

}  // namespace

TEST_CASE("own_run starts a job beside one with the same key; later requests share the first", "[server][job]") {
    gated_runs g("own", 2);
    auto& runner = g.runner;
    auto& spec = g.spec;
    auto& runs = g.runs;
    auto& cache = g.cache;
    auto plain = runner.start_or_join(spec);
    REQUIRE(plain.stream);
    REQUIRE(test::eventually([&] { return runs == 1; }, 2000ms));  // the first job writes "first"
    auto own = runner.start_or_join(spec, media::join_policy::own_run);
    REQUIRE(own.stream);
    CHECK_FALSE(own.joined);
    CHECK(runner.active() == 2);
    // Both count against the cap: a third key is refused.
    media::job_spec other = spec;
    other.key = media::cache_key({"third"});
    CHECK_FALSE(runner.start_or_join(other).stream);
    // A later plain request reads the first job's output, not the own run's.
    auto later = runner.start_or_join(spec);
    REQUIRE(later.stream);
    CHECK(later.joined);
    plain.stream->set_notify([] {});
    later.stream->set_notify([] {});
    own.stream->set_notify([] {});
    CHECK(test::eventually([&] { return drain(*later.stream) == "first"; }, 2000ms));
    CHECK(test::eventually([&] { return drain(*own.stream) == "again"; }, 2000ms));

    // The own run's cancel reaches that job only (its one reader dropped first), not the shared one.
    own.stream.reset();
    CHECK(own.cancel_if_unread());
    g.wake();
    CHECK(test::eventually([&] { return runner.active() == 1; }, 2000ms));
    CHECK_FALSE(plain.cancel_if_unread());  // two clients still read the first job
    g.release();
    CHECK(test::eventually([&] { return runner.active() == 0; }, 2000ms));
    CHECK(runs == 2);
    CHECK(cache.find(spec.key, "json"));  // the shared job's output, stored under the key
    runner.stop_all();
}

TEST_CASE("when the shared job ends without output, requests join the own run still producing it", "[server][job]") {
    gated_runs g("promoted", 3);
    auto& runner = g.runner;
    auto& spec = g.spec;
    auto& runs = g.runs;
    auto& cache = g.cache;
    auto plain = runner.start_or_join(spec);
    REQUIRE(plain.stream);
    REQUIRE(test::eventually([&] { return runs == 1; }, 2000ms));
    auto own = runner.start_or_join(spec, media::join_policy::own_run);
    REQUIRE(own.stream);
    REQUIRE(test::eventually([&] { return runs == 2; }, 2000ms));
    // The shared job's only client leaves: cancelled, nothing cached.
    plain.stream.reset();
    CHECK(plain.cancel_if_unread());
    g.wake();
    REQUIRE(test::eventually([&] { return runner.active() == 1; }, 2000ms));
    CHECK_FALSE(cache.find(spec.key, "json"));
    // A request now joins the own run (no third analysis) and reads its output.
    auto later = runner.start_or_join(spec);
    REQUIRE(later.stream);
    CHECK(later.joined);
    CHECK(runner.active() == 1);
    later.stream->set_notify([] {});
    CHECK(test::eventually([&] { return drain(*later.stream) == "again"; }, 2000ms));
    g.release();
    CHECK(test::eventually([&] { return runner.active() == 0; }, 2000ms));
    CHECK(runs == 2);
    CHECK(cache.find(spec.key, "json"));  // the own run's output, stored under the key
    // Its entry went with it: a request now is served from the cache, not joined to a finished job.
    runner.stop_all();
}
