// The /status-json.xsl renderer against what Debian's icecast2 2.4.4 wrote for the same mounts
// (data/icecast2_status.json, captured and re-checked by tests/integration/test_icecast_status.py):
// the same documents key by key, in the same order, with the same types and values.
#include <algorithm>
#include <ctime>
#include <set>
#include <fstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "server/live/icecast_status.hpp"

using namespace timeside::server::live;
using ordered = nlohmann::ordered_json;

namespace {

ordered fixture() {
    std::ifstream in(std::filesystem::path(TIMESIDE_SOURCE_ROOT) / "tests/unit/live/data/icecast2_status.json");
    REQUIRE(in);
    return ordered::parse(in);
}

// "2026-12-06T09:09:44+0000" -> the time point (the fixture's times, so that dates compare equal).
std::chrono::system_clock::time_point iso(const std::string& s) {
    std::tm tm{};
    REQUIRE(strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) != nullptr);
    return std::chrono::system_clock::from_time_t(timegm(&tm));
}

// Every key icecast wrote is in ours, in the same order, with the same type and value; ours may
// add only `extra` keys (what icecast shows when a source announces it), in byte order too.
void same_object(const ordered& theirs, const ordered& ours, const std::set<std::string>& extra = {}) {
    std::vector<std::string> their_keys, our_keys, shared;
    for (const auto& [k, v] : theirs.items()) their_keys.push_back(k);
    for (const auto& [k, v] : ours.items()) {
        our_keys.push_back(k);
        if (theirs.contains(k)) shared.push_back(k);
        else CHECK(extra.count(k) == 1);
    }
    CHECK(shared == their_keys);
    INFO("keys: " << ours.dump());
    if (!our_keys.empty() && our_keys.back() == "dummy") {
        std::vector<std::string> body(our_keys.begin(), our_keys.end() - 1);
        if (!body.empty() && body.back() == "source") body.pop_back();
        CHECK(std::is_sorted(body.begin(), body.end()));
    }
    for (const auto& k : their_keys) {
        if (k == "source" || !ours.contains(k)) continue;
        INFO("key " << k);
        CHECK(theirs[k].type_name() == std::string(ours[k].type_name()));
        CHECK(theirs[k] == ours[k]);
    }
}

struct world {
    icecast_server_info server;
    icecast_source_info one, two, three, four;
};

world from(const ordered& fx) {
    const auto& stats = fx["several"]["icestats"];
    world w;
    w.server.server_id = "Icecast 2.4.4";  // what the lead sets to ours; here, theirs, to compare
    w.server.server_start = iso(stats["server_start_iso8601"]);
    const std::string url = stats["source"][0]["listenurl"];
    w.server.port = static_cast<unsigned>(std::stoul(url.substr(url.rfind(':') + 1)));
    auto start = [&](int i) { return iso(stats["source"][i]["stream_start_iso8601"]); };
    // What the integration test configured for each mount, as the lead will fill it from a mount.
    auto source = [](std::string mount, std::string format, std::string type, std::string name, std::string description,
                     std::string genre, std::string url, std::string title, unsigned listeners, unsigned bitrate,
                     std::chrono::system_clock::time_point started) {
        icecast_source_info s;
        s.mount = std::move(mount), s.format = std::move(format), s.server_type = std::move(type);
        s.server_name = std::move(name), s.server_description = std::move(description), s.genre = std::move(genre);
        s.server_url = std::move(url), s.title = std::move(title);
        s.listeners = s.listener_peak = listeners;
        s.bitrate_kbps = bitrate, s.stream_start = started;
        return s;
    };
    w.one = source("/one.mp3", "mp3", "audio/mpeg", "Radio One", "The first", "Jazz", "http://example.org/one.mp3",
                   "Artist - Title", 1, 128, start(1));
    w.two = source("/two.ogg", "ogg", "application/ogg", "Radio Two", "The second", "Classical",
                   "http://example.org/two.ogg", "Song A", 0, 96, start(3));
    w.three = source("/three.opus", "opus", "application/ogg", "Radio Three", "The third", "Talk",
                     "http://example.org/three.opus", "", 0, 96, start(2));
    // ffmpeg's source sent no ice-* header: empty names take icecast's defaults.
    w.four = source("/four.mp3", "mp3", "audio/mpeg", "", "", "", "", "", 0, 128, start(0));
    return w;
}

}  // namespace

TEST_CASE("no mount: icestats alone, closed by dummy, as icecast2 2.4.4 writes it", "[status]") {
    const ordered fx = fixture();
    const world w = from(fx);
    const ordered ours = ordered::parse(render_icecast_status(w.server, {}));
    CHECK(ours == fx["none"]);
    same_object(fx["none"]["icestats"], ours["icestats"]);
}

TEST_CASE("one mount: source is an object, equal to icecast2's key by key", "[status]") {
    const ordered fx = fixture();
    const world w = from(fx);
    const ordered ours = ordered::parse(render_icecast_status(w.server, {w.one}));
    REQUIRE(ours["icestats"]["source"].is_object());
    same_object(fx["one"]["icestats"], ours["icestats"]);
    same_object(fx["one"]["icestats"]["source"], ours["icestats"]["source"]);
    CHECK(ours == fx["one"]);  // the whole document, order included
}

TEST_CASE("several mounts: an array sorted by mount, each source as icecast2 shows its codec", "[status]") {
    const ordered fx = fixture();
    const world w = from(fx);
    // Given in another order: the renderer sorts by mount, as icecast does.
    const ordered ours = ordered::parse(render_icecast_status(w.server, {w.two, w.four, w.one, w.three}));
    const auto& theirs = fx["several"]["icestats"];
    REQUIRE(ours["icestats"]["source"].is_array());
    REQUIRE(ours["icestats"]["source"].size() == 4);
    same_object(theirs, ours["icestats"]);
    same_object(theirs["source"][1], ours["icestats"]["source"][1]);  // one.mp3: MP3 with audio info
    same_object(theirs["source"][2], ours["icestats"]["source"][2]);  // three.opus: Ogg Opus
    same_object(theirs["source"][3], ours["icestats"]["source"][3]);  // two.ogg: Ogg Vorbis
    CHECK(ours["icestats"]["source"][1] == theirs["source"][1]);
    CHECK(ours["icestats"]["source"][2] == theirs["source"][2]);
    CHECK(ours["icestats"]["source"][3] == theirs["source"][3]);
    // four.mp3: icecast knew nothing of its audio (ffmpeg announces none); we always know ours.
    same_object(theirs["source"][0], ours["icestats"]["source"][0], {"audio_info", "bitrate", "channels", "samplerate"});
    CHECK(ours["icestats"]["source"][0]["audio_info"] == "bitrate=128;samplerate=44100;channels=2");
}

TEST_CASE("a definition's output gives its source's fixed fields", "[status]") {
    stream_definition d;
    d.id = "radio";
    d.name = "Radio";
    d.description = "All day";
    d.genre = "Jazz";
    d.url = "https://radio.example";
    d.samplerate = 48000;
    d.channels = 1;
    const output_definition opus{"opus", "opus", "opus_encoder:bitrate=64", "audio/ogg", 64};
    const icecast_source_info s = icecast_source_for(d, opus);
    CHECK(s.mount == "/live/radio.opus");
    CHECK(s.format == "opus");
    CHECK(s.server_type == "audio/ogg");
    CHECK(s.server_name == "Radio");
    CHECK(s.server_description == "All day");
    CHECK(s.genre == "Jazz");
    CHECK(s.server_url == "https://radio.example");
    CHECK(s.bitrate_kbps == 64);
    CHECK(s.samplerate == 48000);
    CHECK(s.channels == 1);
    const ordered doc = ordered::parse(render_icecast_status({}, {s}));
    CHECK(doc["icestats"]["source"]["audio_info"] == "bitrate=64;samplerate=48000;channels=1");
    CHECK(doc["icestats"]["source"]["subtype"] == "Opus");
}

TEST_CASE("dates are icecast's, in UTC; text that is not UTF-8 is replaced, not thrown", "[status]") {
    const auto t = std::chrono::system_clock::from_time_t(1796547600);  // 2026-12-06 09:00:00 UTC, a Sunday
    CHECK(icecast_date(t) == "Sun, 06 Dec 2026 09:00:00 +0000");
    CHECK(icecast_date_iso8601(t) == "2026-12-06T09:00:00+0000");
    CHECK(icecast_date(std::chrono::system_clock::from_time_t(0)) == "Thu, 01 Jan 1970 00:00:00 +0000");
    icecast_source_info s;
    s.mount = "/live/x.flac", s.format = "flac", s.server_type = "audio/flac", s.title = "caf\xe9 \"1\"";
    const ordered doc = ordered::parse(render_icecast_status({}, {s}));
    CHECK(doc["icestats"]["source"]["title"] == "caf\xef\xbf\xbd \"1\"");
    CHECK(doc["icestats"]["source"]["audio_info"] == "samplerate=44100;channels=2");  // VBR: no bitrate
    CHECK_FALSE(doc["icestats"]["source"].contains("bitrate"));
    CHECK_FALSE(doc["icestats"]["source"].contains("subtype"));
    CHECK(doc["icestats"]["source"]["listenurl"] == "http://localhost:8000/live/x.flac");
}
