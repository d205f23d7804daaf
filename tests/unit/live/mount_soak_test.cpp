// A mount run for a while (hidden: `unit_tests "[.soak]"`, TIMESIDE_SOAK_SECONDS, default 60):
// a 44.1 kHz stereo click track through MP3 128k and Opus 96k with level and aubio_temporal.
// Memory must stay flat once the first sixth of the run is over; prints RSS and CPU use.
#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "live_test_support.hpp"
#include "server/live/mount.hpp"

using namespace timeside;
using namespace timeside::server::live;
using namespace std::chrono_literals;

namespace {
double rss_mib() {
    long pages = 0, resident = 0;
    std::ifstream("/proc/self/statm") >> pages >> resident;
    return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}
double cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}
}  // namespace

TEST_CASE("a mount with encoders and analyzers keeps its memory flat", "[.soak][live]") {
    const char* env = std::getenv("TIMESIDE_SOAK_SECONDS");
    const double seconds = env ? std::atof(env) : 60.0;
    stream_definition def;
    def.id = "soak";
    def.file = "streams/soak.toml";
    def.input.type = input_definition::kind::signal;
    def.input.signal = "clicks:120";
    def.outputs = {{"mp3", "mp3", "mp3_encoder:bitrate=128", "audio/mpeg"},
                   {"opus", "opus", "opus_encoder:bitrate=96", "audio/ogg"}};
    def.analysis = {"level", "aubio_temporal"};
    // Chunks are counted and dropped, as a hub with no listener would.
    struct counting_target : chunk_target {
        std::atomic<int64_t> bytes{0};
        void publish(chunk_ptr c) override { bytes += static_cast<int64_t>(c->bytes.size()); }
    };
    auto mp3 = std::make_shared<counting_target>(), opus = std::make_shared<counting_target>();
    std::atomic<int64_t> events{0};
    mount_options o;
    o.on_event = [&](const analysis_event&) { ++events; };
    mount m(def, {mp3, opus}, o);
    const double cpu0 = cpu_seconds();
    m.start();
    const auto frames = [&](double s) { return static_cast<int64_t>(s * 44100); };
    REQUIRE(test::eventually([&] { return m.status().stream_frames >= frames(seconds / 6); },
                             std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000 / 6 + 5000))));
    const double rss_warm = rss_mib();
    REQUIRE(test::eventually([&] { return m.status().stream_frames >= frames(seconds); },
                             std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000 + 10000))));
    const double rss_end = rss_mib();
    const double cpu = cpu_seconds() - cpu0;
    m.stop();
    const auto st = m.status();
    std::printf("soak: %.0f s, RSS %.1f MiB after %.0f s, %.1f MiB at the end (+%.2f MiB); CPU %.2f s (%.1f %% of a core); "
                "mp3 %lld B, opus %lld B, %lld events, %lld analysis blocks skipped, %lld filled frames\n",
                seconds, rss_warm, seconds / 6, rss_end, rss_end - rss_warm, cpu, 100 * cpu / seconds,
                static_cast<long long>(mp3->bytes.load()), static_cast<long long>(opus->bytes.load()),
                static_cast<long long>(events.load()), static_cast<long long>(st.skipped_analysis_blocks),
                static_cast<long long>(st.filled_frames));
    CHECK(rss_end - rss_warm < 5.0);
    CHECK(st.filled_frames == 0);
    CHECK(mp3->bytes > static_cast<int64_t>(seconds * 16000 * 0.9));  // 128 kbit/s
}
