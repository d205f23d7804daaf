// The folder walk: files found recursively, hidden names skipped, and nothing that resolves
// outside its media folder (a symlink out, a symlinked directory) is ever a candidate. And the
// library over it: big files hashed in the background, listed with their whole file's sha1.
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include "../test_support.hpp"
#include "core/sha1.hpp"
#include "server/media/folder_scan.hpp"
#include "server/media/library.hpp"

using namespace timeside;
using namespace timeside::server::media;
namespace fs = std::filesystem;

namespace {
void touch(const fs::path& p, const std::string& text = "x") {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
}

std::set<std::string> relatives(const scan_result& r) {
    std::set<std::string> out;
    for (const auto& f : r.files) out.insert(std::to_string(f.folder) + ":" + f.relative);
    return out;
}
}  // namespace

TEST_CASE("the walk finds files recursively and skips hidden ones", "[server][scan]") {
    test::temp_dir dir;
    touch(dir / "media/a.wav");
    touch(dir / "media/albums/x/track01.flac", "12345");
    touch(dir / "media/.hidden.wav");
    touch(dir / "media/.cache/b.wav");
    touch(dir / "media/c.ogg.part");  // only hidden temporaries are skipped; the probe refuses this one
    touch(dir / "other/d.mp3");
    const auto r = scan_folders({dir / "media", dir / "missing", dir / "other"});
    CHECK(relatives(r) == std::set<std::string>{"0:a.wav", "0:albums/x/track01.flac", "0:c.ogg.part", "2:d.mp3"});
    for (const auto& f : r.files)
        if (f.relative == "albums/x/track01.flac") {
            CHECK(f.size == 5);
            CHECK(f.path == fs::canonical(dir / "media/albums/x/track01.flac"));
        }
}

TEST_CASE("symlinks that leave the folder are refused, those inside it are kept", "[server][scan]") {
    test::temp_dir dir;
    touch(dir / "secret/passwd.wav");
    touch(dir / "media/real.wav");
    fs::create_directories(dir / "media/sub");
    fs::create_symlink(dir / "secret/passwd.wav", dir / "media/out.wav");
    fs::create_symlink("../real.wav", dir / "media/sub/in.wav");
    fs::create_directory_symlink(dir / "secret", dir / "media/linked_dir");
    const auto r = scan_folders({dir / "media"});
    CHECK(relatives(r) == std::set<std::string>{"0:real.wav", "0:sub/in.wav"});
    REQUIRE(r.refused.size() == 1);
    CHECK(r.refused[0].find("out.wav: resolves outside the media folder") != std::string::npos);
    for (const auto& f : r.files) CHECK(is_inside(f.path, fs::canonical(dir / "media")));
}

TEST_CASE("is_inside compares whole path components", "[server][scan]") {
    CHECK(is_inside("/srv/media/a.wav", "/srv/media"));
    CHECK(is_inside("/srv/media/a/b.wav", "/srv/media/"));
    CHECK_FALSE(is_inside("/srv/media2/a.wav", "/srv/media"));
    CHECK_FALSE(is_inside("/srv/media", "/srv/media"));
    CHECK_FALSE(is_inside("/srv", "/srv/media"));
}

namespace {
// A complete 16-bit stereo WAV of `bytes` bytes whose audio is a hole (sparse: costs no disk).
void sparse_wav(const fs::path& path, uint64_t bytes, uint32_t declared) {
    test::write_wav16(path, {}, 44100, 2);
    {
        std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(40);
        f.write(reinterpret_cast<const char*>(&declared), 4);
    }
    fs::resize_file(path, bytes);
}

const media_item* wait_for(const library& lib, const std::string& id, std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        auto snap = lib.snapshot();
        if (const media_item* item = snap->find(id)) {
            static thread_local std::shared_ptr<const library_snapshot> keep;
            keep = snap;  // the item lives as long as its snapshot
            return item;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return nullptr;
}
}  // namespace

TEST_CASE("a file over the scan's hashing budget is hashed in the background, then listed", "[server][scan]") {
    test::temp_dir dir;
    fs::create_directories(dir / "media");
    test::write_wav16(dir / "media/small.wav", test::pcm16_signal(44100, 2), 44100, 2);
    const uint64_t big_bytes = sync_hash_bytes + (uint64_t{16} << 20);
    sparse_wav(dir / "media/big.wav", big_bytes, static_cast<uint32_t>(big_bytes - 44));
    library lib({dir / "media"}, std::chrono::milliseconds(60000));  // no timed rescan: hashes wake it
    lib.start();
    const media_item* small = wait_for(lib, "small", std::chrono::seconds(10));
    REQUIRE(small);
    CHECK(small->sha1 == sha1_file(dir / "media/small.wav"));
    const media_item* big = wait_for(lib, "big", std::chrono::seconds(20));
    REQUIRE(big);
    CHECK(big->sha1 == sha1_file(dir / "media/big.wav"));  // the cache key names the whole content
    CHECK(big->size == big_bytes);
    CHECK(big->duration == Approx(static_cast<double>(big_bytes - 44) / (44100 * 4)).epsilon(1e-6));
    lib.stop();
}

TEST_CASE("stop() returns promptly while a 2 GB file is being hashed", "[server][scan]") {
    test::temp_dir dir;
    fs::create_directories(dir / "media");
    test::write_wav16(dir / "media/small.wav", test::pcm16_signal(4410, 1), 44100, 1);
    sparse_wav(dir / "media/big.wav", 44 + uint64_t{2000000000}, 2000000000u);
    library lib({dir / "media"}, std::chrono::milliseconds(60000));
    lib.start();
    REQUIRE(wait_for(lib, "small", std::chrono::seconds(10)));
    CHECK_FALSE(lib.snapshot()->find("big"));  // hashing 2 GB takes seconds
    const auto started = std::chrono::steady_clock::now();
    lib.stop();
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(2));
}
