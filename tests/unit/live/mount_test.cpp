// mount: a definition becomes a running never-ending pipe. A looped file gives ONE continuous
// Ogg stream whatever the loops; every output's chunks start where a decoder can; analyzers keep
// no rows; stop() is prompt; a bad spec names the file and the key; a mount's fallback can be
// another mount's audio; titles reach the callback.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>

#include "../encoders/encoder_test_support.hpp"
#include "../test_support.hpp"
#include "core/errors.hpp"
#include "live_test_support.hpp"
#include "server/live/mount.hpp"

using namespace timeside;
using namespace timeside::server::live;
using namespace std::chrono_literals;

namespace {

stream_definition signal_definition(const std::string& id, const std::string& signal) {
    stream_definition d;
    d.id = id;
    d.file = "streams/" + id + ".toml";
    d.input.type = input_definition::kind::signal;
    d.input.signal = signal;
    return d;
}

output_definition output(const std::string& format, const std::string& spec) {
    return {format, format, spec, format == "mp3" ? "audio/mpeg" : format == "flac" ? "audio/flac" : "audio/ogg"};
}

void write_sine_wav(const std::filesystem::path& path, double seconds, int rate = 44100) {
    auto s = test::sine(440, rate, static_cast<int64_t>(seconds * rate), 2, 0.5);
    std::vector<int16_t> pcm(s.size());
    for (size_t i = 0; i < s.size(); ++i) pcm[i] = static_cast<int16_t>(std::lround(s[i] * 32767));
    test::write_wav16(path, pcm, rate, 2);
}

std::filesystem::path save(const test::recording_target& t, const std::filesystem::path& path) {
    const auto data = t.bytes();
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(data.data()),
                                                static_cast<std::streamsize>(data.size()));
    return path;
}

}  // namespace

TEST_CASE("a looped 1 s file run 3 s is one continuous Ogg Vorbis stream of 3 s at the file's level",
          "[live][mount]") {
    test::temp_dir dir;
    write_sine_wav(dir / "loop.wav", 1.0);
    stream_definition def;
    def.id = "loop";
    def.file = dir / "loop.toml";
    def.input.type = input_definition::kind::file;
    def.input.uri = (dir / "loop.wav").string();
    def.input.loop = true;
    def.outputs = {output("ogg", "vorbis_encoder")};
    auto ogg = std::make_shared<test::recording_target>();
    mount m(def, {ogg});
    m.start();
    REQUIRE(test::eventually([&] { return m.status().stream_frames >= 3 * 44100; }, 5000ms));
    m.stop();
    const auto st = m.status();
    CHECK(st.filled_frames == 0);  // the file was always there: no fallback at the loop points

    // One logical stream: one serial, one BOS page, sequence numbers and granules that go on.
    const auto parsed = test::parse_ogg(ogg->bytes());
    REQUIRE(parsed.pages.size() >= 6);  // 2 header pages, then a page every 0.5 s
    int bos = 0;
    int64_t granule = 0;
    for (size_t i = 0; i < parsed.pages.size(); ++i) {
        const auto& p = parsed.pages[i];
        CHECK(p.crc_ok);
        CHECK(p.serial == parsed.pages[0].serial);
        CHECK(p.sequence == i);
        bos += (p.flags & 2) ? 1 : 0;
        if (p.granule != -1) {
            CHECK(p.granule >= granule);
            granule = p.granule;
        }
    }
    CHECK(bos == 1);
    CHECK(granule >= st.stream_frames - 44100 / 2 - 4096);  // less the unfinished page

    // Decoded by the project's decoder: ~3 s, the file's level everywhere (no gap at a loop).
    const auto decoded = test::decode_file(save(*ogg, dir / "out.ogg"));
    CHECK(decoded.info.format == audio_format{44100, 2});
    CHECK(decoded.frames() == granule);
    CHECK(static_cast<double>(decoded.frames()) / 44100 >= 2.4);
    const size_t window = 2 * 2205;  // 50 ms
    double lowest = 0;
    for (size_t at = 2 * 4410; at + window + 2 * 4410 <= decoded.samples.size(); at += window)
        lowest = std::min(lowest, test::rms_db(decoded.samples.data() + at, window));
    CHECK(lowest > -9.03 - 1.0);
    CHECK(test::rms_db(decoded.samples) == Approx(-9.03).margin(0.5));
}

TEST_CASE("every output's chunks: headers first, then chunks that each start a page or frame",
          "[live][mount]") {
    test::temp_dir dir;
    auto def = signal_definition("all", "sine:440");
    def.outputs = {output("mp3", "mp3_encoder:bitrate=128"), output("ogg", "vorbis_encoder"),
                   output("opus", "opus_encoder:bitrate=96"), output("flac", "flac_encoder")};
    std::vector<std::shared_ptr<test::recording_target>> targets;
    std::vector<std::shared_ptr<chunk_target>> as_targets;
    for (size_t i = 0; i < 4; ++i) {
        targets.push_back(std::make_shared<test::recording_target>());
        as_targets.push_back(targets.back());
    }
    mount m(def, as_targets);
    m.start();
    REQUIRE(test::eventually([&] { return m.status().stream_frames >= 3 * 44100; }, 6000ms));
    m.stop();
    const int64_t frames = m.status().stream_frames;
    const char* names[] = {"out.mp3", "out.ogg", "out.opus", "out.flac"};
    // Audio an encoder still holds when the stream is cut (the mount never finishes them): LAME
    // a frame or two; Vorbis its unfinished page (pages end every 0.5 s); the Opus encoder its
    // unfinished page (0.5 s) and packet (0.12 s); libFLAC a frame (4096).
    const double held_back[] = {0.1, 0.6, 0.7, 0.15};
    // LAME at 128 kbit/s gives this 440 Hz sine 0.45 dB below its input, in batch runs too.
    const double level_margin[] = {0.6, 0.3, 0.3, 0.1};
    for (size_t i = 0; i < 4; ++i) {
        INFO(def.outputs[i].format);
        const auto chunks = targets[i]->chunks();
        REQUIRE(chunks.size() > 2);
        size_t headers = 0;
        while (headers < chunks.size() && chunks[headers]->header) ++headers;
        // A live MP3 has no header (no ID3 tag: frames from the first byte, as Icecast sends);
        // Ogg's and FLAC's codec headers come first.
        if (def.outputs[i].format == "mp3") CHECK(headers == 0);
        else CHECK(headers >= 1);
        REQUIRE(chunks.size() > headers);
        int64_t end = 0;
        for (size_t k = headers; k < chunks.size(); ++k) {
            CHECK_FALSE(chunks[k]->header);  // no header after the audio began
            CHECK(chunks[k]->sync);
            CHECK(chunks[k]->end_frame >= end);
            end = chunks[k]->end_frame;
        }
        CHECK(end <= frames);
        // What a listener joining at the start receives decodes to the stream's length, less
        // what the encoder still held, at the signal's level (-9.03 dBFS RMS).
        const auto decoded = test::decode_file(save(*targets[i], dir / names[i]));
        // (Opus decodes at 48 kHz.)
        const double seconds = static_cast<double>(decoded.frames()) / decoded.info.format.samplerate;
        CHECK(seconds <= static_cast<double>(frames) / 44100 + 0.05);
        CHECK(seconds >= static_cast<double>(frames) / 44100 - held_back[i]);
        CHECK(test::rms_db(decoded.samples) == Approx(-9.03).margin(level_margin[i]));
        const auto s = m.status().outputs[i];
        CHECK(s.chunks == static_cast<int64_t>(chunks.size()));
        CHECK(s.bytes == static_cast<int64_t>(targets[i]->bytes().size()));
    }
}

TEST_CASE("live analyzers emit events and keep no rows", "[live][mount]") {
    auto def = signal_definition("clicks", "clicks:120");
    def.analysis = {"level", "aubio_temporal"};
    std::mutex mutex;
    std::map<std::string, int> events;
    int64_t last_beat = -1;
    bool beats_in_order = true;
    mount_options o;
    o.on_event = [&](const analysis_event& e) {
        std::lock_guard lock(mutex);
        ++events[e.result_id];
        if (e.result_id == "aubio_temporal.beat") {
            beats_in_order = beats_in_order && e.frame > last_beat;
            last_beat = e.frame;
        }
    };
    mount m(def, {}, o);
    m.start();
    REQUIRE(test::eventually([&] { return m.status().stream_frames >= 3 * 44100; }, 6000ms));
    m.stop();
    std::lock_guard lock(mutex);
    // level: one pair per block; beats at 120 BPM: about 2 a second once the tracker locks.
    const int64_t blocks = m.status().stream_frames / 1024;
    CHECK(events["level.max"] >= blocks - m.status().skipped_analysis_blocks - 2);
    CHECK(events["level.rms"] == events["level.max"]);
    CHECK(events["aubio_temporal.onset"] >= 2);
    CHECK(events["aubio_temporal.beat"] >= 2);
    CHECK(beats_in_order);
    // Nothing kept: every analyzer result is empty (level's exist only at a finish that a live
    // run never has).
    size_t kept = 0;
    for (const auto& a : m.analyzers())
        for (const auto& r : a->results())
            kept += r.data.value.size() + r.data.time.size() + r.data.label.size() + r.data.duration.size();
    CHECK(kept == 0);
}

TEST_CASE("stop() returns promptly, and a stopped mount's feed ends", "[live][mount]") {
    auto def = signal_definition("quick", "sine:440");
    def.outputs = {output("mp3", "mp3_encoder")};
    def.analysis = {"level"};
    auto target = std::make_shared<test::recording_target>();
    mount m(def, {target});
    m.start();
    REQUIRE(test::eventually([&] { return m.status().stream_frames >= 44100 / 2; }, 5000ms));
    const auto t0 = std::chrono::steady_clock::now();
    m.stop();
    CHECK(std::chrono::steady_clock::now() - t0 < 500ms);
    CHECK_FALSE(m.status().running);
    CHECK(m.status().failure.empty());
    const auto frames = m.status().stream_frames;
    m.stop();  // idempotent
    CHECK(m.status().stream_frames == frames);
}

TEST_CASE("a bad spec or input fails start() naming the file and the key", "[live][mount]") {
    auto def = signal_definition("bad", "sine:440");
    def.outputs = {output("mp3", "mp3_encoder:bitrate=abc")};
    mount a(def, {std::make_shared<test::recording_target>()});
    CHECK_THROWS_WITH(a.start(), Catch::Contains("streams/bad.toml") && Catch::Contains("[[outputs]] #1") &&
                                     Catch::Contains("bitrate"));

    def.outputs = {};
    def.analysis = {"level", "no_such_analyzer"};
    mount b(def, {});
    CHECK_THROWS_WITH(b.start(), Catch::Contains("streams/bad.toml") && Catch::Contains("[analysis] processors") &&
                                     Catch::Contains("no_such_analyzer"));

    def.analysis = {"mp3_encoder"};
    mount c(def, {});
    CHECK_THROWS_WITH(c.start(), Catch::Contains("is not an analyzer"));

    auto noisy = signal_definition("bad", "noise");
    mount d(noisy, {});
    CHECK_THROWS_AS(d.start(), usage_error);
    CHECK_THROWS_WITH(d.start(), Catch::Contains("[input] signal"));
}

TEST_CASE("a mount whose fallback is another mount hears that mount while it has no source", "[live][mount]") {
    std::map<std::string, std::shared_ptr<audio_feed>> feeds;
    auto main_def = signal_definition("main", "sine:440");
    mount main_mount(main_def, {});
    main_mount.start();
    feeds["main"] = main_mount.feed();

    stream_definition studio;
    studio.id = "studio";
    studio.file = "streams/studio.toml";
    studio.input.type = input_definition::kind::icecast;
    studio.fallback.type = fallback_definition::kind::mount;
    studio.fallback.mount = "main";
    mount_options o;
    o.find_feed = [&](const std::string& id) { return feeds.count(id) ? feeds[id] : nullptr; };
    mount studio_mount(studio, {}, o);
    studio_mount.start();
    auto reader = studio_mount.feed()->subscribe(2.0);

    // After a moment (the lookup and two blocks of priming), studio's audio is main's sine.
    std::vector<float> heard;
    REQUIRE(test::eventually(
        [&] {
            std::vector<float> got;
            if (reader->read(got, 4096, 2) != live_input::status::data) return false;
            heard.insert(heard.end(), got.begin(), got.end());
            if (heard.size() < 2 * 44100) return false;
            const double db = test::rms_db(heard.data() + heard.size() - 2 * 22050, 2 * 22050);
            return std::abs(db - -9.03) < 0.3;
        },
        5000ms));
    CHECK(studio_mount.status().fallback_active);
    CHECK(studio_mount.status().source == "");

    // A source pushed to studio replaces main's audio at once.
    auto src = std::make_shared<test::scripted_source>(0.25f);
    REQUIRE(studio_mount.attach_source(src));
    REQUIRE(test::eventually([&] { return !studio_mount.status().fallback_active; }, 2000ms));
    CHECK(studio_mount.status().source_connected);
    studio_mount.stop();
    main_mount.stop();
}

TEST_CASE("titles from set_title and from the source reach the callback once per change", "[live][mount]") {
    stream_definition def;
    def.id = "titles";
    def.file = "streams/titles.toml";
    def.input.type = input_definition::kind::icecast;
    std::mutex mutex;
    std::vector<std::string> titles;
    mount_options o;
    o.on_title = [&](const std::string& t) {
        std::lock_guard lock(mutex);
        titles.push_back(t);
    };
    mount m(def, {}, o);
    m.start();
    m.set_title("Morning Show");
    m.set_title("Morning Show");  // unchanged: no second call
    auto src = std::make_shared<test::scripted_source>(0.25f);
    src->set_title("Band - Song");
    REQUIRE(m.attach_source(src));
    REQUIRE(test::eventually([&] { return m.title() == "Band - Song"; }, 2000ms));
    m.stop();
    std::lock_guard lock(mutex);
    CHECK(titles == std::vector<std::string>{"Morning Show", "Band - Song"});
}

TEST_CASE("sources coming and going under a mount leave its Ogg output one continuous stream", "[live][mount]") {
    test::temp_dir dir;
    stream_definition def;
    def.id = "studio";
    def.file = "streams/studio.toml";
    def.input.type = input_definition::kind::icecast;
    def.outputs = {output("ogg", "vorbis_encoder")};
    auto ogg = std::make_shared<test::recording_target>();
    mount m(def, {ogg});
    m.start();
    // Fallback (silence), a source, fallback again, another source, and it fails.
    auto wait_frames = [&](int64_t more) {
        const int64_t until = m.status().stream_frames + more;
        REQUIRE(test::eventually([&] { return m.status().stream_frames >= until; }, 3000ms));
    };
    wait_frames(11025);
    auto a = std::make_shared<test::scripted_source>(0.25f);
    REQUIRE(m.attach_source(a));
    wait_frames(22050);
    a->end();
    REQUIRE(test::eventually([&] { return m.status().fallback_active; }, 1000ms));
    wait_frames(11025);
    auto b = std::make_shared<test::scripted_source>(-0.25f);
    REQUIRE(m.attach_source(b));
    wait_frames(22050);
    b->fail();
    REQUIRE(test::eventually([&] { return m.status().fallback_active; }, 1000ms));
    wait_frames(44100);  // past the Vorbis page that held the switch
    m.stop();
    const auto st = m.status();
    CHECK(st.source_connects == 2);
    CHECK(st.last_error == "scripted source: broke on purpose");
    CHECK(st.fallback_switches == 3);

    const auto parsed = test::parse_ogg(ogg->bytes());
    int64_t granule = 0;
    int bos = 0;
    for (size_t i = 0; i < parsed.pages.size(); ++i) {
        const auto& p = parsed.pages[i];
        CHECK(p.serial == parsed.pages[0].serial);
        CHECK(p.sequence == i);
        bos += (p.flags & 2) ? 1 : 0;
        if (p.granule != -1) {
            CHECK(p.granule >= granule);
            granule = p.granule;
        }
    }
    CHECK(bos == 1);
    const auto decoded = test::decode_file(save(*ogg, dir / "studio.ogg"));
    CHECK(decoded.frames() == granule);
    // Both sources are heard, each for about the half second it was on (DC through Vorbis:
    // counted by sign, loosely), with silence around them.
    int64_t positive = 0, negative = 0;
    for (size_t i = 0; i < decoded.samples.size(); i += 2) {
        positive += decoded.samples[i] > 0.15f;
        negative += decoded.samples[i] < -0.15f;
    }
    CHECK(positive == Approx(22050).margin(6000));
    CHECK(negative == Approx(22050).margin(6000));
}
