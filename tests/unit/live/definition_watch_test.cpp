// The streams folder watch: a written, renamed or removed *.toml triggers one reload once the
// folder is quiet; a burst of writes is one reload; other files trigger none.
#include <atomic>
#include <condition_variable>
#include <fstream>
#include <mutex>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "core/errors.hpp"
#include "server/live/definition_watch.hpp"
#include "../test_support.hpp"

using namespace timeside::server::live;
using namespace std::chrono_literals;

namespace {

struct counter {
    std::mutex m;
    std::condition_variable cv;
    int calls = 0;
    std::chrono::steady_clock::time_point last;
    void bump() {
        std::lock_guard lock(m);
        ++calls;
        last = std::chrono::steady_clock::now();
        cv.notify_all();
    }
    // Waits (at most `deadline`) for the count to reach n.
    bool reaches(int n, std::chrono::milliseconds deadline = 5000ms) {
        std::unique_lock lock(m);
        return cv.wait_for(lock, deadline, [&] { return calls >= n; });
    }
    int count() {
        std::lock_guard lock(m);
        return calls;
    }
};

void write(const std::filesystem::path& p, const std::string& text) { std::ofstream(p) << text; }

}  // namespace

TEST_CASE("a burst of definition writes is one reload, after the folder is quiet", "[reload]") {
    timeside::test::temp_dir dir;
    counter c;
    constexpr auto debounce = 150ms;
    definition_watch watch(dir.path(), [&] { c.bump(); }, debounce);
    const auto first_write = std::chrono::steady_clock::now();
    for (int i = 0; i < 5; ++i) write(dir / fmt::format("m{}.toml", i), "name = \"x\"\n");
    const auto last_write = std::chrono::steady_clock::now();
    REQUIRE(c.reaches(1));
    CHECK(c.last - last_write >= debounce);  // it waited for quiet after the last write
    CHECK(c.last - first_write < 3s);
    // No second reload for the same burst: the count stays 1 well past another debounce period.
    CHECK_FALSE(c.reaches(2, 4 * debounce));

    // A rename into place (how editors save) and a removal each trigger one more.
    write(dir / "tmp.part", "name = \"y\"\n");
    std::filesystem::rename(dir / "tmp.part", dir / "renamed.toml");
    REQUIRE(c.reaches(2));
    std::filesystem::remove(dir / "m0.toml");
    REQUIRE(c.reaches(3));
}

TEST_CASE("files that are not definitions trigger no reload", "[reload]") {
    timeside::test::temp_dir dir;
    counter c;
    definition_watch watch(dir.path(), [&] { c.bump(); }, 100ms);
    write(dir / ".radio.toml.swp", "x");
    write(dir / "radio.toml~", "x");
    write(dir / "notes.txt", "x");
    CHECK_FALSE(c.reaches(1, 500ms));  // five debounce periods: nothing
    write(dir / "radio.toml", "x");
    CHECK(c.reaches(1));
    CHECK(c.count() == 1);
}

TEST_CASE("a folder that cannot be watched is an error naming it; stopping waits for nothing", "[reload]") {
    timeside::test::temp_dir dir;
    CHECK_THROWS_WITH(definition_watch(dir / "absent", [] {}),
                      Catch::StartsWith("cannot watch the streams folder " + (dir / "absent").string() + ": "));
    // Destroyed while idle: returns at once (the eventfd wakes the thread).
    const auto t0 = std::chrono::steady_clock::now();
    { definition_watch watch(dir.path(), [] {}); }
    CHECK(std::chrono::steady_clock::now() - t0 < 1s);
}
