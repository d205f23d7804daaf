// push_input: a source's bytes, made by ffmpeg in every codec a source may send, decode to the
// sine that was encoded (its level and audible length), converted to the mount's format; garbage
// fails with a cause and bounded memory; a full buffer holds the source back until on_space.
#include <catch2/catch.hpp>

#include <random>

#include "push_test_support.hpp"

using namespace timeside::test::live;
namespace tl = timeside::server::live;
using timeside::test::temp_dir;

namespace {

const timeside::audio_format mount_format{48000, 2};

tl::push_input_options options_for(const std::string& type) {
    tl::push_input_options o;
    o.label = "source on /live/test";
    o.content_type = type;
    return o;
}

std::vector<unsigned char> random_bytes(size_t n, unsigned seed) {
    std::mt19937 gen(seed);
    std::vector<unsigned char> out(n);
    for (auto& b : out) b = static_cast<unsigned char>(gen());
    return out;
}

}  // namespace

TEST_CASE("a source's stream decodes to the sine it carries, in every accepted codec", "[live][push][ingest]") {
    REQUIRE(have_ffmpeg());  // a test requirement (Debian: ffmpeg)
    struct codec {
        const char* name;
        const char* args;
        const char* type;
    };
    const codec codecs[] = {
        {"MP3", "-c:a libmp3lame -b:a 128k -f mp3", "audio/mpeg"},
        {"Ogg Vorbis", "-c:a libvorbis -q:a 5 -f ogg", "audio/ogg"},
        {"Ogg Opus", "-c:a libopus -b:a 128k -f ogg", "audio/ogg"},
        {"Ogg FLAC", "-c:a flac -f ogg", "audio/ogg"},
        {"FLAC", "-c:a flac -f flac", "audio/flac"},
        {"WebM Opus", "-c:a libopus -b:a 128k -f webm", "audio/webm"},
        {"WebM Vorbis", "-c:a libvorbis -f webm", "audio/webm"},
        {"Matroska Vorbis", "-c:a libvorbis -f matroska", "audio/x-matroska"},
        {"AAC/ADTS", "-c:a aac -b:a 160k -f adts", "audio/aac"},
    };
    for (const auto& c : codecs) {
        DYNAMIC_SECTION(c.name) {
            temp_dir dir;
            const auto bytes = ffmpeg_sine(dir, c.args, 3.0, 0.5);
            REQUIRE(!bytes.empty());
            tl::push_input in(options_for(c.type));
            in.start(mount_format);
            auto r = drive(in, bytes, 2);
            INFO(r.error);
            REQUIRE(r.last == tl::live_input::status::ended);
            const auto s = stats_of(r.audio, 2, mount_format.samplerate);
            // A sine of amplitude 0.5: RMS 0.5/sqrt(2), -9.03 dBFS (LAME's MP3 of it reads -9.48).
            CHECK(s.rms_db == Approx(20 * std::log10(0.5 / std::sqrt(2.0))).margin(0.5));
            CHECK(s.audible_s == Approx(3.0).margin(0.05));
            // And what ffmpeg's own decoder makes of the same bytes, closely.
            const auto reference = stats_of(ffmpeg_decode(dir, bytes), 2, mount_format.samplerate);
            CHECK(s.rms_db == Approx(reference.rms_db).margin(0.05));
            CHECK(s.audible_s == Approx(reference.audible_s).margin(0.01));
            CHECK(r.fed == bytes.size());
        }
    }
}

TEST_CASE("titles come from Vorbis comments and ID3 tags", "[live][push][ingest]") {
    REQUIRE(have_ffmpeg());  // a test requirement (Debian: ffmpeg)
    const char* meta = "-metadata artist='Ada Lovelace' -metadata title='Note G'";
    for (auto [name, args] : {std::pair{"Vorbis comments", "-c:a libvorbis -f ogg"},
                              std::pair{"Opus tags", "-c:a libopus -f ogg"},
                              std::pair{"ID3v2", "-c:a libmp3lame -f mp3 -id3v2_version 3"}}) {
        DYNAMIC_SECTION(name) {
            temp_dir dir;
            const auto bytes = ffmpeg_sine(dir, args, 1.0, 0.5, meta);
            REQUIRE(!bytes.empty());
            tl::push_input in(options_for("audio/ogg"));
            in.start(mount_format);
            auto r = drive(in, bytes, 2);
            REQUIRE(r.last == tl::live_input::status::ended);
            auto title = in.take_title();
            REQUIRE(title);
            CHECK(*title == "Ada Lovelace - Note G");
            CHECK_FALSE(in.take_title());  // unchanged since
        }
    }
}

TEST_CASE("random bytes fail with a cause naming the source, within bounded bytes", "[live][push][ingest]") {
    tl::push_input in(options_for("audio/mpeg"));
    in.start(mount_format);
    // Far more than any bound: the input must refuse long before.
    const auto garbage = random_bytes(16 * 1024 * 1024, 7);
    auto r = drive(in, garbage, 2, std::chrono::seconds(30));
    REQUIRE(r.last == tl::live_input::status::failed);
    CHECK(r.error.find("source on /live/test") == 0);
    CHECK(r.audio.empty());
    // What was taken is bounded by the watchdog (2 MiB) plus one input buffer.
    CHECK(r.fed <= 2 * 1024 * 1024 + 256 * 1024 + 4096);
}

TEST_CASE("a stream cut inside its headers fails: no audio could be decoded", "[live][push][ingest]") {
    REQUIRE(have_ffmpeg());  // a test requirement (Debian: ffmpeg)
    temp_dir dir;
    auto bytes = ffmpeg_sine(dir, "-c:a libvorbis -f ogg", 1.0);
    REQUIRE(bytes.size() > 6000);
    bytes.resize(3000);  // the identification and part of the comment/setup headers
    tl::push_input in(options_for("audio/ogg"));
    in.start(mount_format);
    auto r = drive(in, bytes, 2);
    REQUIRE(r.last == tl::live_input::status::failed);
    CHECK(r.audio.empty());
    CHECK(r.error.find("source on /live/test: ") == 0);
}

TEST_CASE("an MP3 followed by garbage plays its audio, then fails", "[live][push][ingest]") {
    REQUIRE(have_ffmpeg());  // a test requirement (Debian: ffmpeg)
    temp_dir dir;
    auto bytes = ffmpeg_sine(dir, "-c:a libmp3lame -b:a 128k -f mp3", 2.0);
    REQUIRE(!bytes.empty());
    const auto garbage = random_bytes(8 * 1024 * 1024, 11);
    const size_t mp3_size = bytes.size();
    bytes.insert(bytes.end(), garbage.begin(), garbage.end());
    tl::push_input in(options_for("audio/mpeg"));
    in.start(mount_format);
    auto r = drive(in, bytes, 2);
    REQUIRE(r.last == tl::live_input::status::failed);
    INFO(r.error);
    CHECK(r.error.find("bytes without a decodable audio frame") != std::string::npos);
    CHECK(r.closed);
    CHECK(r.fed < mp3_size + 3 * 1024 * 1024);
    // The MP3's 2 s were heard before (the decoder may take a few garbage frames for audio).
    const auto s = stats_of(r.audio, 2, mount_format.samplerate);
    CHECK(s.audible_s >= 1.95);
}

TEST_CASE("a slow trickle of garbage after audio fails after undecodable_for", "[live][push][ingest]") {
    REQUIRE(have_ffmpeg());
    temp_dir dir;
    const auto mp3 = ffmpeg_sine(dir, "-c:a libmp3lame -b:a 128k -f mp3", 1.0);
    REQUIRE(!mp3.empty());
    auto o = options_for("audio/mpeg");
    o.undecodable_for = 300ms;
    tl::push_input in(o);
    in.start(mount_format);
    REQUIRE(in.feed(mp3.data(), mp3.size()) == tl::push_input::feed_result::accepted);
    // 2 KiB of garbage every 20 ms (100 KB/s: 2 MiB would take 20 s), read as a mount would.
    const auto garbage = random_bytes(2048, 5);
    std::vector<float> out;
    tl::push_input::feed_result res = tl::push_input::feed_result::accepted;
    std::chrono::steady_clock::time_point garbage_from{};
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (res != tl::push_input::feed_result::closed && std::chrono::steady_clock::now() < deadline) {
        in.read(out, 4800, 20ms);
        if (stats_of(out, 2, mount_format.samplerate).audible_s < 0.95) continue;  // the MP3 first
        if (garbage_from == std::chrono::steady_clock::time_point{}) garbage_from = std::chrono::steady_clock::now();
        res = in.feed(garbage.data(), garbage.size());
    }
    REQUIRE(res == tl::push_input::feed_result::closed);
    const auto after = std::chrono::steady_clock::now() - garbage_from;
    CHECK(after < 2s);
    CHECK(in.error().find("without a decodable audio frame in") != std::string::npos);
    CHECK(in.read(out, 4800, 20ms) == tl::live_input::status::failed);
}

TEST_CASE("a full input buffer says so without blocking, and on_space fires once it drains", "[live][push][ingest]") {
    REQUIRE(have_ffmpeg());  // a test requirement (Debian: ffmpeg)
    temp_dir dir;
    // 60 s of FLAC: about 5 MB, far more than the buffer and the decoder's queues hold.
    const auto bytes = ffmpeg_sine(dir, "-c:a flac -f flac", 60.0);
    REQUIRE(bytes.size() > 2 * 1024 * 1024);
    auto o = options_for("audio/flac");
    o.buffer_bytes = 64 * 1024;
    tl::push_input in(o);
    in.start(mount_format);
    std::atomic<int> spaces{0};
    in.set_on_space([&] { ++spaces; });
    size_t fed = 0;
    bool full = false;
    // Nobody reads: feed() must say `full` after about one buffer and the decoder's queues.
    while (fed < bytes.size()) {
        const auto t0 = std::chrono::steady_clock::now();
        auto res = in.feed(bytes.data() + fed, 4096);
        CHECK(std::chrono::steady_clock::now() - t0 < 100ms);  // never blocks
        fed += 4096;
        if (res == tl::push_input::feed_result::full) {
            full = true;
            break;
        }
        REQUIRE(res == tl::push_input::feed_result::accepted);
    }
    REQUIRE(full);
    CHECK(fed < 1024 * 1024);
    CHECK(spaces == 0);
    // Reading drains the decoder, the buffer, and on_space fires.
    std::vector<float> out;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (spaces == 0 && std::chrono::steady_clock::now() < deadline) {
        out.clear();
        in.read(out, 4096, 20ms);
    }
    CHECK(spaces == 1);
    in.stop();
    out.clear();
    CHECK(in.read(out, 4096, 20ms) == tl::live_input::status::ended);
    CHECK(in.feed(bytes.data(), 10) == tl::push_input::feed_result::closed);
}

TEST_CASE("source types: what Icecast's clients declare is accepted, the rest refused", "[live][push][ingest]") {
    for (auto t : {"audio/mpeg", "AUDIO/MPEG", "audio/ogg", "application/ogg", "audio/ogg; codecs=opus", "audio/flac",
                   "audio/aac", "audio/aacp", "audio/webm", "video/webm"})
        CHECK(tl::accepted_source_type(t));
    for (auto t : {"", "text/plain", "audio/wav", "application/octet-stream", "audio/mpegx", "video/mp4"})
        CHECK_FALSE(tl::accepted_source_type(t));
}

TEST_CASE("a declared type is checked against what the stream turns out to be", "[live][push][ingest]") {
    CHECK(tl::declared_type_matches("audio/mpeg", "audio/mpeg"));
    CHECK(tl::declared_type_matches("audio/aac", "audio/mpeg"));  // ADTS is typed audio/mpeg, mpegversion=4
    CHECK(tl::declared_type_matches("application/ogg", "application/ogg"));
    CHECK(tl::declared_type_matches("audio/ogg; codecs=opus", "application/ogg"));
    CHECK(tl::declared_type_matches("audio/flac", "audio/x-flac"));
    CHECK(tl::declared_type_matches("video/webm", "video/x-matroska"));
    CHECK_FALSE(tl::declared_type_matches("audio/mpeg", "application/ogg"));  // ffmpeg's default for Ogg
    CHECK_FALSE(tl::declared_type_matches("audio/flac", "audio/mpeg"));
}
