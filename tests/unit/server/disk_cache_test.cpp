// The disk cache: entries appear only whole (by rename), survive a restart, stay under the size
// cap by evicting the least recently used, and are gone from the index when removed from disk.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "../test_support.hpp"
#include "server/media/disk_cache.hpp"

using namespace timeside::server::media;
namespace fs = std::filesystem;

namespace {

fs::path produce(disk_cache& cache, size_t bytes, char fill) {
    const fs::path temp = cache.temp_path();
    std::ofstream(temp) << std::string(bytes, fill);
    return temp;
}

std::string read_all(const open_file& f) {
    std::string s(f.size(), '\0');
    REQUIRE(::pread(f.fd(), s.data(), s.size(), 0) == static_cast<ssize_t>(s.size()));
    return s;
}

const std::string key_a = cache_key({"a"}), key_b = cache_key({"b"}), key_c = cache_key({"c"});

}  // namespace

TEST_CASE("cache keys are sha1 of the parts, and moving a separator changes the key", "[server][cache]") {
    CHECK(key_a.size() == 40);
    CHECK(cache_key({"ab", "c"}) != cache_key({"a", "bc"}));
    CHECK(cache_key({"media", "x"}) == cache_key({"media", "x"}));
}

TEST_CASE("a committed entry is found with its bytes, size and a strong etag", "[server][cache]") {
    timeside::test::temp_dir d;
    disk_cache cache(d.path(), 1000);
    CHECK(cache.find(key_a, "ogg") == nullptr);
    const fs::path temp = produce(cache, 100, 'x');
    CHECK(fs::path(temp).parent_path() == d.path());
    REQUIRE(cache.commit(temp, key_a, "ogg"));
    CHECK_FALSE(fs::exists(temp));
    CHECK(fs::exists(d.path() / key_a.substr(0, 2) / (key_a + ".ogg")));
    auto f = cache.find(key_a, "ogg");
    REQUIRE(f);
    CHECK(f->size() == 100);
    CHECK(read_all(*f) == std::string(100, 'x'));
    CHECK(f->etag().front() == '"');
    CHECK(f->etag().back() == '"');
    CHECK(cache.find(key_a, "mp3") == nullptr);  // the extension is part of the entry
    CHECK(cache.usage().bytes == 100);
    CHECK(cache.usage().entries == 1);
}

TEST_CASE("the least recently used entries go first when the cap is passed", "[server][cache]") {
    timeside::test::temp_dir d;
    disk_cache cache(d.path(), 250);
    REQUIRE(cache.commit(produce(cache, 100, 'a'), key_a, "wav"));
    REQUIRE(cache.commit(produce(cache, 100, 'b'), key_b, "wav"));
    REQUIRE(cache.find(key_a, "wav"));  // a is now more recent than b
    REQUIRE(cache.commit(produce(cache, 100, 'c'), key_c, "wav"));
    CHECK(cache.find(key_b, "wav") == nullptr);
    CHECK(cache.find(key_a, "wav") != nullptr);
    CHECK(cache.find(key_c, "wav") != nullptr);
    CHECK(cache.usage().bytes == 200);
    CHECK(cache.usage().evictions == 1);
    CHECK_FALSE(fs::exists(d.path() / key_b.substr(0, 2) / (key_b + ".wav")));
}

TEST_CASE("an entry larger than the whole cap is not kept", "[server][cache]") {
    timeside::test::temp_dir d;
    disk_cache cache(d.path(), 50);
    const auto temp = produce(cache, 51, 'z');
    CHECK_FALSE(cache.commit(temp, key_a, "flac"));
    CHECK_FALSE(fs::exists(temp));
    CHECK(cache.usage().entries == 0);
}

TEST_CASE("an evicted entry stays readable by whoever opened it", "[server][cache]") {
    timeside::test::temp_dir d;
    disk_cache cache(d.path(), 150);
    REQUIRE(cache.commit(produce(cache, 100, 'a'), key_a, "mp3"));
    auto held = cache.find(key_a, "mp3");
    REQUIRE(cache.commit(produce(cache, 100, 'b'), key_b, "mp3"));
    CHECK(cache.find(key_a, "mp3") == nullptr);
    CHECK(read_all(*held) == std::string(100, 'a'));
}

TEST_CASE("a restart finds the entries, in their order of use, and removes half-written files", "[server][cache]") {
    timeside::test::temp_dir d;
    {
        disk_cache cache(d.path(), 1000);
        REQUIRE(cache.commit(produce(cache, 100, 'a'), key_a, "ogg"));
        REQUIRE(cache.commit(produce(cache, 100, 'b'), key_b, "ogg"));
        // Times set, not waited for: a last used long before b, until find() records a use.
        const auto set_atime = [&](const std::string& key, time_t seconds) {
            const timespec times[2] = {{seconds, 0}, {0, UTIME_OMIT}};
            REQUIRE(::utimensat(AT_FDCWD, (d.path() / key.substr(0, 2) / (key + ".ogg")).c_str(), times, 0) == 0);
        };
        set_atime(key_a, 1000000000);
        set_atime(key_b, 1500000000);
        REQUIRE(cache.find(key_a, "ogg"));  // a used last
        produce(cache, 10, 'p');              // a crash mid-encode leaves this
    }
    disk_cache again(d.path(), 150);  // a smaller cap: the least recently used (b) goes
    CHECK(again.usage().entries == 1);
    CHECK(again.find(key_a, "ogg") != nullptr);
    CHECK(again.find(key_b, "ogg") == nullptr);
    size_t temps = 0;
    for (const auto& e : fs::directory_iterator(d.path())) temps += e.path().filename().string().starts_with(".tmp-");
    CHECK(temps == 0);
}

TEST_CASE("an entry deleted behind the cache's back is a miss, and forgotten", "[server][cache]") {
    timeside::test::temp_dir d;
    disk_cache cache(d.path(), 1000);
    REQUIRE(cache.commit(produce(cache, 100, 'a'), key_a, "ogg"));
    fs::remove(d.path() / key_a.substr(0, 2) / (key_a + ".ogg"));
    CHECK(cache.find(key_a, "ogg") == nullptr);
    CHECK(cache.usage().bytes == 0);
}

TEST_CASE("a cache of size 0 keeps nothing and creates no folder", "[server][cache]") {
    timeside::test::temp_dir d;
    disk_cache cache(d.path() / "never", 0);
    CHECK_FALSE(cache.enabled());
    CHECK_FALSE(fs::exists(d.path() / "never"));
    CHECK(cache.find(key_a, "ogg") == nullptr);
}

TEST_CASE("a cache folder that cannot be created is a usage error naming it", "[server][cache]") {
    timeside::test::temp_dir d;
    std::ofstream(d.path() / "file") << "x";
    try {
        disk_cache cache(d.path() / "file" / "sub", 100);
        FAIL("no error");
    } catch (const std::exception& e) {
        CHECK(std::string(e.what()).find((d.path() / "file" / "sub").string()) != std::string::npos);
    }
}

TEST_CASE("a cache folder deleted while in use is made again and recounted from disk", "[server][cache]") {
    timeside::test::temp_dir d;
    const fs::path dir = d.path() / "cache";
    disk_cache cache(dir, 1 << 20);
    REQUIRE(cache.commit(produce(cache, 100, 'a'), key_a, "ogg"));
    REQUIRE(cache.commit(produce(cache, 50, 'b'), key_b, "ogg"));
    CHECK(cache.usage().entries == 2);
    cache_usage told;
    cache.set_observer([&](const cache_usage& u) { told = u; });
    fs::remove_all(dir);
    // The next output to produce: the folder is back, the index holds what is on disk (nothing).
    const fs::path temp = cache.temp_path();
    CHECK(fs::is_directory(dir));
    CHECK(temp.parent_path() == dir);
    CHECK(cache.usage().entries == 0);
    CHECK(cache.usage().bytes == 0);
    CHECK(told.entries == 0);
    std::ofstream(temp) << std::string(30, 'c');
    REQUIRE(cache.commit(temp, key_c, "ogg"));
    CHECK(cache.usage().entries == 1);
    CHECK(cache.usage().bytes == 30);
    CHECK(told.bytes == 30);
    CHECK_FALSE(cache.find(key_a, "ogg"));
    auto c = cache.find(key_c, "ogg");
    REQUIRE(c);
    CHECK(read_all(*c) == std::string(30, 'c'));
}
