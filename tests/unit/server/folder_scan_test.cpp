// The folder walk: files found recursively, hidden names skipped, and nothing that resolves
// outside its media folder (a symlink out, a symlinked directory) is ever a candidate.
#include <catch2/catch.hpp>

#include <fstream>
#include <set>

#include "../test_support.hpp"
#include "server/media/folder_scan.hpp"

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
