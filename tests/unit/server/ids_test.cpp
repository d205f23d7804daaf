// Item ids as DESIGN.md defines them: the path under the folder without its extension; on a
// collision WAV, then FLAC, then the others keep it and the rest get `-<ext>`.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "server/media/ids.hpp"

using namespace timeside::server::media;

namespace {

// relative path (folder 0 unless "N:" prefix) -> id
std::map<std::string, std::string> ids_of(const std::vector<std::string>& files) {
    std::vector<id_candidate> in;
    for (const auto& f : files) {
        if (f.size() > 2 && f[1] == ':') in.push_back({f.substr(2), static_cast<size_t>(f[0] - '0')});
        else in.push_back({f, 0});
    }
    const auto ids = assign_ids(in);
    std::map<std::string, std::string> out;
    for (size_t i = 0; i < files.size(); ++i) out[files[i]] = ids[i];
    return out;
}

}  // namespace

TEST_CASE("an id is the path under the folder without the extension", "[server][ids]") {
    auto ids = ids_of({"sweep.wav", "albums/x/track01.flac", "a.b/c.d.ogg", "README"});
    CHECK(ids["sweep.wav"] == "sweep");
    CHECK(ids["albums/x/track01.flac"] == "albums/x/track01");
    CHECK(ids["a.b/c.d.ogg"] == "a.b/c.d");
    CHECK(ids["README"] == "README");
}

TEST_CASE("on a collision WAV, then FLAC keep the id and the others get -ext", "[server][ids]") {
    auto all = ids_of({"sweep.mp3", "sweep.ogg", "sweep.flac", "sweep.wav"});
    CHECK(all["sweep.wav"] == "sweep");
    CHECK(all["sweep.flac"] == "sweep-flac");
    CHECK(all["sweep.mp3"] == "sweep-mp3");
    CHECK(all["sweep.ogg"] == "sweep-ogg");

    auto no_wav = ids_of({"sweep.mp3", "sweep.flac"});
    CHECK(no_wav["sweep.flac"] == "sweep");
    CHECK(no_wav["sweep.mp3"] == "sweep-mp3");

    // Among the others, the extension's name decides: stable whatever the scan order.
    auto others = ids_of({"x.ogg", "x.mp3"});
    CHECK(others["x.mp3"] == "x");
    CHECK(others["x.ogg"] == "x-ogg");
}

TEST_CASE("extensions compare without case", "[server][ids]") {
    auto ids = ids_of({"Sweep.MP3", "Sweep.WAV"});
    CHECK(ids["Sweep.WAV"] == "Sweep");
    CHECK(ids["Sweep.MP3"] == "Sweep-mp3");
    CHECK(split_extension("a/B.FlAc") == std::pair<std::string, std::string>{"a/B", "flac"});
    CHECK(split_extension("dir.x/name") == std::pair<std::string, std::string>{"dir.x/name", ""});
}

TEST_CASE("a suffixed id never takes an id a file has by its own name", "[server][ids]") {
    auto ids = ids_of({"x.wav", "x.mp3", "x-mp3.wav"});
    CHECK(ids["x.wav"] == "x");
    CHECK(ids["x-mp3.wav"] == "x-mp3");
    CHECK(ids["x.mp3"] == "x-mp3-2");
}

TEST_CASE("across folders the better format wins first, then the earlier folder", "[server][ids]") {
    auto ids = ids_of({"0:sweep.mp3", "1:sweep.wav", "2:sweep.wav"});
    CHECK(ids["1:sweep.wav"] == "sweep");
    CHECK(ids["2:sweep.wav"] == "sweep-wav");
    CHECK(ids["0:sweep.mp3"] == "sweep-mp3");
}

TEST_CASE("ids do not depend on the order files are found in", "[server][ids]") {
    std::vector<std::string> files{"a.wav", "a.mp3", "a.flac", "a-mp3.ogg", "b/c.opus", "b/c.ogg", "0:z.wav", "1:z.wav"};
    const auto reference = ids_of(files);
    std::mt19937 rng(42);
    for (int round = 0; round < 20; ++round) {
        std::shuffle(files.begin(), files.end(), rng);
        CHECK(ids_of(files) == reference);
    }
    std::set<std::string> distinct;
    for (const auto& [f, id] : reference) distinct.insert(id);
    CHECK(distinct.size() == reference.size());
}

TEST_CASE("a file name that is not UTF-8 gets an id with its bad bytes percent-escaped", "[server][ids]") {
    // Latin-1 "café.wav" beside a UTF-8 "café.wav": two distinct, valid, addressable ids.
    auto ids = ids_of({"caf\xe9.wav", "caf\xc3\xa9.wav", "dir\xff/x.flac"});
    CHECK(ids["caf\xe9.wav"] == "caf%E9");
    CHECK(ids["caf\xc3\xa9.wav"] == "caf\xc3\xa9");
    CHECK(ids["dir\xff/x.flac"] == "dir%FF/x");
}

TEST_CASE("escape_invalid_utf8 leaves valid text alone and escapes each bad byte", "[server][ids]") {
    CHECK(escape_invalid_utf8("plain/\xe2\x82\xac") == "plain/\xe2\x82\xac");
    CHECK(escape_invalid_utf8("\xc3") == "%C3");           // a sequence cut short
    CHECK(escape_invalid_utf8("a\xc0\xaf" "b") == "a%C0%AFb");  // an overlong '/'
    CHECK(escape_invalid_utf8("\xed\xa0\x80") == "%ED%A0%80");  // a surrogate
}
