// Helpers for the push_input and ingest tests: source bytes made by ffmpeg from a sine (an encoder that is
// not ours), the level and audible length of decoded audio, and a bounded loop that feeds a
// push_input the way an ingest session does (stopping on `full` until on_space) while reading it.
#pragma once

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "../test_support.hpp"
#include "server/live/push_input.hpp"

namespace timeside::test::live {

using namespace std::chrono_literals;
namespace tl = timeside::server::live;

inline bool have_ffmpeg() { return std::system("command -v ffmpeg >/dev/null 2>&1") == 0; }

inline std::vector<unsigned char> read_bytes(const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// `seconds` of a 440 Hz sine at `amplitude` (stereo, 44.1 kHz), encoded by ffmpeg with
// `codec_args` (e.g. "-c:a libvorbis -f ogg") plus `extra` (metadata); empty when ffmpeg fails.
inline std::vector<unsigned char> ffmpeg_sine(const temp_dir& dir, const std::string& codec_args, double seconds,
                                              double amplitude = 0.5, const std::string& extra = "") {
    const auto out = dir / "source.bin";
    const std::string cmd =
        "ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i 'aevalsrc=" + std::to_string(amplitude) +
        "*sin(2*PI*440*t)|" + std::to_string(amplitude) + "*sin(2*PI*440*t):s=44100:d=" + std::to_string(seconds) +
        "' " + codec_args + " " + extra + " '" + out.string() + "'";
    if (std::system(cmd.c_str()) != 0) return {};
    return read_bytes(out);
}

// The same bytes decoded by ffmpeg (an independent decoder) to 48 kHz stereo float.
inline std::vector<float> ffmpeg_decode(const temp_dir& dir, const std::vector<unsigned char>& bytes) {
    const auto in = dir / "reference.bin";
    {
        std::ofstream f(in, std::ios::binary);
        f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    }
    const auto out = dir / "reference.f32";
    const std::string cmd = "ffmpeg -nostdin -hide_banner -loglevel error -y -i '" + in.string() +
                            "' -f f32le -ac 2 -ar 48000 '" + out.string() + "'";
    if (std::system(cmd.c_str()) != 0) return {};
    const auto raw = read_bytes(out);
    std::vector<float> samples(raw.size() / sizeof(float));
    std::memcpy(samples.data(), raw.data(), samples.size() * sizeof(float));
    return samples;
}

struct audio_stats {
    double rms_db = -200;      // over the audible span, its first and last 0.2 s left out
    double audible_s = 0;      // from the first to the last frame above -30 dBFS
    int64_t frames = 0;
};

inline audio_stats stats_of(const std::vector<float>& interleaved, int channels, int samplerate) {
    audio_stats s;
    s.frames = static_cast<int64_t>(interleaved.size()) / channels;
    const double threshold = std::pow(10.0, -30.0 / 20.0);
    int64_t first = -1, last = -1;
    for (int64_t i = 0; i < s.frames; ++i)
        if (std::fabs(interleaved[static_cast<size_t>(i * channels)]) > threshold) {
            if (first < 0) first = i;
            last = i;
        }
    if (first < 0) return s;
    s.audible_s = static_cast<double>(last - first + 1) / samplerate;
    const int64_t margin = samplerate / 5;
    double sum = 0;
    int64_t n = 0;
    for (int64_t i = first + margin; i <= last - margin; ++i)
        for (int c = 0; c < channels; ++c) {
            const double v = interleaved[static_cast<size_t>(i * channels + c)];
            sum += v * v;
            ++n;
        }
    if (n > 0) s.rms_db = 10 * std::log10(sum / static_cast<double>(n));
    return s;
}

struct drive_result {
    tl::live_input::status last = tl::live_input::status::waiting;
    std::vector<float> audio;
    std::string error;
    size_t fed = 0;          // bytes the input took before it said `closed` (or all of them)
    bool saw_full = false;   // feed() said `full` at least once
    bool closed = false;     // feed() said `closed`
};

// Feeds `bytes` in `piece`-sized writes, honouring `full` / on_space as an ingest session does,
// ends the stream, and reads until `ended` or `failed` (or the deadline: the test then fails).
inline drive_result drive(tl::push_input& in, const std::vector<unsigned char>& bytes, int channels,
                          std::chrono::seconds deadline_after = 30s, size_t piece = 4096) {
    drive_result r;
    std::atomic<bool> space{false};
    in.set_on_space([&] { space = true; });
    bool paused = false;
    bool ended = false;
    const auto deadline = std::chrono::steady_clock::now() + deadline_after;
    while (std::chrono::steady_clock::now() < deadline) {
        if (space.exchange(false)) paused = false;
        while (!paused && !r.closed && r.fed < bytes.size()) {
            const size_t n = std::min(piece, bytes.size() - r.fed);
            switch (in.feed(bytes.data() + r.fed, n)) {
                case tl::push_input::feed_result::accepted: r.fed += n; break;
                case tl::push_input::feed_result::full: r.fed += n; paused = r.saw_full = true; break;
                case tl::push_input::feed_result::closed: r.closed = true; break;
            }
        }
        if (!ended && (r.closed || r.fed == bytes.size())) {
            in.end_of_stream();
            ended = true;
        }
        r.last = in.read(r.audio, 4096, 20ms);
        if (r.last == tl::live_input::status::ended) break;
        if (r.last == tl::live_input::status::failed) {
            r.error = in.error();
            break;
        }
    }
    (void)channels;
    return r;
}

}  // namespace timeside::test::live
