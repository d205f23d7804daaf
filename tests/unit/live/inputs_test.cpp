// The engine's own live inputs: signals computed exactly, a file converted to the mount's format
// and looped without a gap, a playlist with titles from tags or file names, and files that cannot
// be played reported as `failed` with their cause, never thrown from read().
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <numbers>

#include "../encoders/encoder_test_support.hpp"
#include "../test_support.hpp"
#include "core/errors.hpp"
#include "live_test_support.hpp"
#include "server/live/file_input.hpp"
#include "server/live/playlist_input.hpp"
#include "server/live/signal_input.hpp"

using namespace timeside;
using namespace timeside::server::live;
using namespace std::chrono_literals;
using st = live_input::status;

namespace {

// Reads `frames` frames (or until the input stops giving data), in reads of `step`.
st read_frames(live_input& in, std::vector<float>& out, int64_t frames, int channels, int64_t step = 1000) {
    st last = st::data;
    for (int i = 0; i < 100000 && static_cast<int64_t>(out.size()) / channels < frames; ++i) {
        last = in.read(out, std::min(step, frames - static_cast<int64_t>(out.size()) / channels), 2000ms);
        if (last != st::data) break;
    }
    return last;
}

// A 16-bit WAV of a sine at amplitude 0.5 (-9.03 dBFS RMS).
void write_sine_wav(const std::filesystem::path& path, double seconds, int rate = 44100, int channels = 1) {
    const auto frames = static_cast<int64_t>(seconds * rate);
    auto s = test::sine(440, rate, frames, channels, 0.5);
    std::vector<int16_t> pcm(s.size());
    for (size_t i = 0; i < s.size(); ++i) pcm[i] = static_cast<int16_t>(std::lround(s[i] * 32767));
    test::write_wav16(path, pcm, rate, channels);
}

}  // namespace

TEST_CASE("sine:440 is a 440 Hz sine at -6 dBFS peak, continuous across reads of any size", "[live][inputs]") {
    signal_input in("sine:440");
    in.start({44100, 2});
    std::vector<float> out;
    for (int64_t step : {1000, 333, 1, 4096, 10})
        REQUIRE(in.read(out, step, 0ms) == st::data);
    REQUIRE(out.size() == 2 * (1000 + 333 + 1 + 4096 + 10));
    double worst = 0;
    for (size_t n = 0; n < out.size() / 2; ++n) {
        const double expected = 0.5 * std::sin(2 * std::numbers::pi * 440 * static_cast<double>(n) / 44100);
        worst = std::max({worst, std::fabs(out[2 * n] - expected), std::fabs(out[2 * n + 1] - expected)});
    }
    CHECK(worst < 1e-5);
    CHECK(in.describe() == "signal sine:440");
}

TEST_CASE("clicks:120 is a short click on every beat, silence between", "[live][inputs]") {
    signal_input in("clicks:120");
    in.start({44100, 1});
    std::vector<float> out;
    REQUIRE(in.read(out, 3 * 44100, 0ms) == st::data);
    // Each click starts on a beat (every 22050 frames at 120 BPM) and lasts at most 10 ms.
    std::vector<int64_t> starts;
    int64_t last_loud = -100000;
    for (int64_t n = 0; n < static_cast<int64_t>(out.size()); ++n)
        if (std::fabs(out[static_cast<size_t>(n)]) > 0.01) {
            if (n - last_loud > 1000) starts.push_back(n);
            CHECK(n % 22050 < 441);
            last_loud = n;
        }
    CHECK(starts == std::vector<int64_t>{0, 22050, 44100, 66150, 88200, 110250});
    float peak = 0;
    for (float v : out) peak = std::max(peak, std::fabs(v));
    CHECK(peak > 0.5f);
}

TEST_CASE("silence is zeros; an unknown signal is a usage error naming it", "[live][inputs]") {
    signal_input in("silence");
    in.start({48000, 2});
    std::vector<float> out(3, 7.0f);  // read appends: what was there stays
    REQUIRE(in.read(out, 480, 0ms) == st::data);
    REQUIRE(out.size() == 3 + 960);
    CHECK(out[0] == 7.0f);
    for (size_t i = 3; i < out.size(); ++i) CHECK(out[i] == 0.0f);
    CHECK_THROWS_WITH(signal_input("noise"), Catch::Contains("'noise'") && Catch::Contains("sine:<Hz>"));
    CHECK_THROWS_AS(signal_input("sine:abc"), usage_error);
    CHECK_THROWS_AS(signal_input("clicks:0"), usage_error);
}

TEST_CASE("a looped file plays again and again, converted to the mount's format, without a gap", "[live][inputs]") {
    test::temp_dir dir;
    write_sine_wav(dir / "one.wav", 1.0, 44100, 1);
    file_input in((dir / "one.wav").string(), true);
    in.start({48000, 2});
    std::vector<float> out;
    REQUIRE(read_frames(in, out, 3 * 48000 + 24000, 2, 4096) == st::data);
    CHECK(in.plays() >= 4);
    // Stereo at 48 kHz, both channels equal; every 20 ms window holds the sine (no gap of
    // silence at a loop point): its RMS stays that of a 0.5 sine, -9.03 dBFS.
    for (size_t i = 0; i < out.size(); i += 2) REQUIRE(out[i] == out[i + 1]);
    const size_t window = 960 * 2;
    double lowest = 0, highest = -300;
    for (size_t at = 0; at + window <= out.size(); at += window) {
        const double db = test::rms_db(out.data() + at, window);
        lowest = std::min(lowest, db);
        highest = std::max(highest, db);
    }
    CHECK(lowest > -9.03 - 1.0);
    CHECK(highest < -9.03 + 0.5);
    in.stop();
}

TEST_CASE("a file that does not loop ends after its length", "[live][inputs]") {
    test::temp_dir dir;
    write_sine_wav(dir / "one.wav", 1.0, 44100, 1);
    file_input in((dir / "one.wav").string(), false);
    in.start({44100, 1});
    std::vector<float> out;
    CHECK(read_frames(in, out, 10 * 44100, 1, 4096) == st::ended);
    CHECK(out.size() == 44100);
    CHECK(in.describe() == "file " + (dir / "one.wav").string());
}

TEST_CASE("a file that cannot be played is failed with its cause, not an exception", "[live][inputs]") {
    test::temp_dir dir;
    const auto missing = (dir / "missing.ogg").string();
    file_input in(missing, true);
    REQUIRE_NOTHROW(in.start({44100, 2}));
    std::vector<float> out;
    st s = st::waiting;
    REQUIRE(test::eventually([&] { return (s = in.read(out, 1024, 10ms)) != st::waiting; }, 5000ms));
    CHECK(s == st::failed);
    CHECK_THAT(in.error(), Catch::Contains("missing.ogg"));
    CHECK(out.empty());

    // Bytes that are not audio: GStreamer's cause, named.
    std::ofstream(dir / "text.mp3") << "this is not audio at all, just some text\n";
    file_input garbage((dir / "text.mp3").string(), true);
    garbage.start({44100, 2});
    REQUIRE(test::eventually([&] { return (s = garbage.read(out, 1024, 10ms)) != st::waiting; }, 5000ms));
    CHECK(s == st::failed);
    CHECK_THAT(garbage.error(), Catch::Contains("text.mp3"));
}

TEST_CASE("a playlist plays its files in order with titles from tags or file names, skipping a bad one",
          "[live][inputs]") {
    test::temp_dir dir;
    write_sine_wav(dir / "plain.wav", 0.5);
    const auto tagged = dir / "tagged.ogg";
    test::run_command("ffmpeg -v error -f lavfi -i sine=f=880:d=0.5 -metadata artist='The Band' "
                      "-metadata title='A Song' -c:a libvorbis '" + tagged.string() + "' 2>&1");
    REQUIRE(std::filesystem::exists(tagged));
    playlist_input in({(dir / "plain.wav").string(), (dir / "missing.wav").string(), tagged.string()}, false, false);
    in.start({44100, 1});
    std::vector<std::string> titles;
    std::vector<float> out;
    st s = st::data;
    for (int i = 0; i < 10000 && s != st::ended && s != st::failed; ++i) {
        s = in.read(out, 2205, 2000ms);
        if (auto t = in.take_title()) titles.push_back(*t);
    }
    CHECK(s == st::ended);
    CHECK(titles == std::vector<std::string>{"plain", "The Band - A Song"});
    // Both good files, whole: 0.5 s each (Vorbis decodes to its exact length).
    CHECK(std::abs(static_cast<int64_t>(out.size()) - 44100) <= 256);
}

TEST_CASE("a playlist none of whose files plays fails, naming the last cause", "[live][inputs]") {
    test::temp_dir dir;
    playlist_input in({(dir / "a.wav").string(), (dir / "b.wav").string()}, true, true);
    in.start({44100, 2});
    std::vector<float> out;
    st s = st::waiting;
    REQUIRE(test::eventually([&] { return (s = in.read(out, 1024, 10ms)) != st::waiting; }, 5000ms));
    CHECK(s == st::failed);
    CHECK_THAT(in.error(), Catch::Contains("no file of the playlist plays") && Catch::Contains(".wav"));
    CHECK_THROWS_AS(playlist_input({}, true, false), usage_error);
}
