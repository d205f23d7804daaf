// Stream definitions: every key read with its default and range, presets resolved to the format's
// encoder, the shipped streams/ accepted, and each mistake a usage error naming the file, the line
// and the key, with what was expected and what was found.
#include <fstream>
#include <regex>
#include <set>

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/errors.hpp"
#include "core/presets.hpp"
#include "server/live/stream_definition.hpp"
#include "../test_support.hpp"
#include "definition_test_support.hpp"

using namespace timeside;
using namespace timeside::server::live;
using namespace timeside::test;
using namespace std::chrono_literals;

namespace {

// Runs a scope in another working directory (the shipped definitions name samples/ relative to it).
struct working_dir {
    explicit working_dir(const std::filesystem::path& p) : before(std::filesystem::current_path()) {
        std::filesystem::current_path(p);
    }
    ~working_dir() { std::filesystem::current_path(before); }
    std::filesystem::path before;
};

}  // namespace

TEST_CASE("a minimal definition gets the documented defaults", "[definition]") {
    const stream_definition d = parse_definition(minimal_definition);
    CHECK(d.id == "radio");
    CHECK(d.file == "streams/radio.toml");
    CHECK(d.text == minimal_definition);
    CHECK(d.name.empty());
    CHECK_FALSE(d.is_public);
    CHECK(d.samplerate == 44100);
    CHECK(d.channels == 2);
    CHECK(d.input.type == input_definition::kind::signal);
    CHECK(d.input.signal == "silence");
    REQUIRE(d.outputs.size() == 1);
    CHECK(d.outputs[0].format == "mp3");
    CHECK(d.outputs[0].extension == "mp3");
    CHECK(d.outputs[0].content_type == "audio/mpeg");
    CHECK(d.outputs[0].encoder_spec == "mp3_encoder");
    CHECK(d.outputs[0].bitrate_kbps == 128);  // mp3_encoder's default: CBR 128
    CHECK(d.analysis.empty());
    CHECK(d.listeners.max == 0);
    CHECK(d.listeners.burst_seconds == 2.0);
    CHECK(d.listeners.burst_bytes == 65536);  // Icecast's burst-size
    CHECK(d.listeners.queue_seconds == 10.0);
    CHECK(d.listeners.metaint == 16000);
    CHECK(d.events.max_subscribers == 0);
    CHECK(d.events.queue_seconds == 10.0);
    CHECK(d.events.resume_seconds == 30.0);
    CHECK(d.events.ping_seconds == 30.0);
    CHECK(d.fallback.type == fallback_definition::kind::silence);
    CHECK(d.source_timeout == 10s);
    // The server's [live] source_timeout is the default a definition falls back on.
    CHECK(parse_stream_definition(minimal_definition, "streams/radio.toml", shipped_presets(), {.source_timeout = 4s}).source_timeout == 4s);
}

TEST_CASE("every key is read", "[definition]") {
    timeside::test::temp_dir dir;
    const auto a = dir / "a.wav", b = dir / "b.wav", fb = dir / "fallback.wav";
    for (const auto& p : {a, b, fb}) std::ofstream(p) << "x";
    const stream_definition d = parse_definition(fmt::format(R"(
name = "Radio"
description = "All day"
genre = "Jazz"
url = "https://radio.example"
public = true
samplerate = 48000
channels = 1
source_timeout = 2.5
[input]
kind = "playlist"
files = ["{}", "{}"]
loop = false
shuffle = true
[[outputs]]
format = "opus"
preset = "opus-64k"
complexity = 5
[[outputs]]
format = "ogg"
preset = "vorbis-q5"
[[outputs]]
format = "flac"
bits = 24
[[outputs]]
format = "mp3"
bitrate = 192
[analysis]
processors = ["level", "aubio_temporal", "aubio_pitch:buffer_size=4096"]
[listeners]
max = 100
burst = 0.5
burst_bytes = 32768
queue = 30
metaint = 8192
[fallback]
kind = "file"
uri = "{}"
)", a.string(), b.string(), fb.string()));
    CHECK(d.name == "Radio");
    CHECK(d.description == "All day");
    CHECK(d.genre == "Jazz");
    CHECK(d.url == "https://radio.example");
    CHECK(d.is_public);
    CHECK(d.samplerate == 48000);
    CHECK(d.channels == 1);
    CHECK(d.source_timeout == 2500ms);
    CHECK(d.input.type == input_definition::kind::playlist);
    CHECK(d.input.files == std::vector<std::string>{a.string(), b.string()});
    CHECK_FALSE(d.input.loop);
    CHECK(d.input.shuffle);
    REQUIRE(d.outputs.size() == 4);
    // The preset's parameters, then the inline ones: the spec the registry builds.
    CHECK(d.outputs[0].encoder_spec == "opus_encoder:bitrate=64,complexity=5");
    CHECK(d.outputs[0].extension == "opus");
    CHECK(d.outputs[0].content_type == "audio/ogg");
    CHECK(d.outputs[0].bitrate_kbps == 64);
    CHECK(d.outputs[1].encoder_spec == "vorbis_encoder:quality=0.5");
    CHECK(d.outputs[1].extension == "ogg");
    CHECK(d.outputs[1].bitrate_kbps == 0);  // VBR: no nominal bitrate
    CHECK(d.outputs[2].encoder_spec == "flac_encoder:bits=24");
    CHECK(d.outputs[2].content_type == "audio/flac");
    CHECK(d.outputs[3].encoder_spec == "mp3_encoder:bitrate=192");
    CHECK(d.outputs[3].bitrate_kbps == 192);
    CHECK(d.analysis == std::vector<std::string>{"level", "aubio_temporal", "aubio_pitch:buffer_size=4096"});
    CHECK(d.listeners.max == 100);
    CHECK(d.listeners.burst_seconds == 0.5);
    CHECK(d.listeners.burst_bytes == 32768);
    CHECK(d.listeners.queue_seconds == 30);
    CHECK(d.listeners.metaint == 8192);
    CHECK(d.fallback.type == fallback_definition::kind::file);
    CHECK(d.fallback.uri == fb.string());
}

TEST_CASE("the input kinds and their keys", "[definition]") {
    const auto input = [](const std::string& table) { return parse_definition(table + "[[outputs]]\nformat = \"ogg\"\n").input; };
    const auto http = input("[input]\nkind = \"http\"\nuri = \"https://example.org/live.mp3\"\n");
    CHECK(http.type == input_definition::kind::http);
    CHECK(http.uri == "https://example.org/live.mp3");
    CHECK(input("[input]\nkind = \"signal\"\nsignal = \"sine:440\"\n").signal == "sine:440");
    CHECK(input("[input]\nkind = \"signal\"\nsignal = \"clicks:120\"\n").signal == "clicks:120");
    const auto given = input("[input]\nkind = \"icecast\"\npassword = \"hunter2-long\"\n");
    CHECK(given.password == "hunter2-long");
    CHECK_FALSE(given.password_generated);
    const auto file = input("[input]\nkind = \"file\"\nuri = \"file://" + std::string(TIMESIDE_SOURCE_ROOT) + "/meson.build\"\n");
    CHECK(file.uri == "file://" + std::string(TIMESIDE_SOURCE_ROOT) + "/meson.build");
    CHECK(file.loop);
}

TEST_CASE("an ingest mount without a password gets a random URL-safe one of 192 bits", "[definition]") {
    const std::string text = "[input]\nkind = \"icecast\"\n[[outputs]]\nformat = \"opus\"\n";
    std::set<std::string> seen;
    for (int i = 0; i < 20; ++i) {
        const auto in = parse_definition(text).input;
        CHECK(in.password_generated);
        CHECK(std::regex_match(in.password, std::regex("^[A-Za-z0-9_-]{32}$")));  // 32 × 6 bits
        seen.insert(in.password);
    }
    CHECK(seen.size() == 20);
    // /api/streams never shows it.
    const auto json = to_json(parse_definition(text));
    CHECK(json["input"]["password_set"] == true);
    CHECK(json["input"]["password_generated"] == true);
    CHECK(json.dump().find(parse_definition(text).input.password) == std::string::npos);
    CHECK_FALSE(json["input"].contains("password"));
}

TEST_CASE("the listing's JSON: URLs, encoders, limits", "[definition]") {
    const auto j = to_json(parse_definition(minimal_definition + "[[outputs]]\nformat = \"opus\"\npreset = \"opus-96k\"\n", "streams/live-1.toml"));
    CHECK(j["outputs"][0]["url"] == "/live/live-1.mp3");
    CHECK(j["outputs"][1]["url"] == "/live/live-1.opus");
    CHECK(j["outputs"][1]["encoder"] == "opus_encoder:bitrate=96");
    CHECK(j["outputs"][1]["bitrate"] == 96);
    CHECK(j["listeners"] == nlohmann::json{{"max", 0}, {"burst", 2.0}, {"burst_bytes", 65536}, {"queue", 10.0}, {"metaint", 16000}});
    CHECK(j["fallback"] == nlohmann::json{{"kind", "silence"}});
    CHECK(j["source_timeout"] == 10.0);
}

TEST_CASE("the shipped definitions are accepted", "[definition]") {
    timeside::test::temp_dir dir;
    std::filesystem::create_directory(dir / "samples");
    std::ofstream(dir / "samples" / "C4_scale.wav") << "x";  // the loop needs its file to exist
    const std::filesystem::path shipped = std::filesystem::path(TIMESIDE_SOURCE_ROOT) / "streams";
    working_dir in(dir.path());
    const auto scale = read_stream_definition(shipped / "scale.toml", shipped_presets());
    CHECK(scale.input.type == input_definition::kind::file);
    CHECK(scale.input.loop);
    REQUIRE(scale.outputs.size() == 3);
    CHECK(scale.outputs[0].encoder_spec == "mp3_encoder:bitrate=128,mode=cbr");
    CHECK(scale.outputs[1].encoder_spec == "opus_encoder:bitrate=96");
    CHECK(scale.outputs[2].encoder_spec == "vorbis_encoder:quality=0.4");
    CHECK(scale.analysis ==
          std::vector<std::string>{"level", "aubio_temporal", "loudness_itu", "aubio_pitch", "spectrogram_analyzer"});
    const auto studio = read_stream_definition(shipped / "studio.toml", shipped_presets());
    CHECK(studio.input.type == input_definition::kind::icecast);
    CHECK(studio.input.password_generated);
    CHECK(studio.fallback.type == fallback_definition::kind::silence);
    CHECK(studio.outputs.size() == 2);
}

TEST_CASE("mistakes name the file, the line and the key", "[definition]") {
    const std::string outputs = "[[outputs]]\nformat = \"mp3\"\n";
    const std::string input = "[input]\nkind = \"signal\"\n";
    // Ranges and types.
    CHECK(definition_error(minimal_definition + "[listeners]\nburst_bytes = -1\n") ==
          "streams/radio.toml:6: key 'listeners.burst_bytes': expected an integer from 0 to 16777216, got -1");
    CHECK(definition_error(minimal_definition + "[listeners]\nburst = -1\n") ==
          "streams/radio.toml:6: key 'listeners.burst': expected a number of seconds from 0 to 60, got -1");
    CHECK(definition_error(minimal_definition + "[listeners]\nqueue = 0.5\n") ==
          "streams/radio.toml:6: key 'listeners.queue': expected a number of seconds from 1 to 600, got 0.5");
    CHECK(definition_error(minimal_definition + "[listeners]\nburst = 20\nqueue = 5\n") ==
          "streams/radio.toml:7: key 'listeners.queue': 5 s is less than the burst (20 s): a joining listener "
          "would be dropped at once");
    CHECK(definition_error(minimal_definition + "[listeners]\nmetaint = 100\n") ==
          "streams/radio.toml:6: key 'listeners.metaint': expected an integer from 256 to 65535, got 100");
    CHECK(definition_error(minimal_definition + "[listeners]\nmax = \"ten\"\n") ==
          "streams/radio.toml:6: key 'listeners.max': expected an integer from 0 to 1000000, got 'ten'");
    CHECK(definition_error("samplerate = 4000\n" + minimal_definition) ==
          "streams/radio.toml:1: key 'samplerate': expected an integer from 8000 to 192000, got 4000");
    CHECK(definition_error("channels = 6\n" + minimal_definition) ==
          "streams/radio.toml:1: key 'channels': expected an integer from 1 to 2, got 6");
    CHECK(definition_error("public = \"yes\"\n" + minimal_definition) == "streams/radio.toml:1: key 'public': expected true or false, got 'yes'");
    CHECK(definition_error("name = 3\n" + minimal_definition) == "streams/radio.toml:1: key 'name': expected a string, got 3");
    CHECK(definition_error("source_timeout = 0\n" + minimal_definition) ==
          "streams/radio.toml:1: key 'source_timeout': expected a number of seconds from 1 to 3600, got 0");
    // Unknown keys, everywhere.
    CHECK(definition_error("titel = \"x\"\n" + minimal_definition).starts_with(
        "streams/radio.toml:1: key 'titel': unknown key; a stream definition takes: name, description, genre"));
    const auto ev = parse_stream_definition(minimal_definition + "[events]\nmax_subscribers = 7\nqueue = 3\nresume = 60\nping = 5\n",
                                            "streams/radio.toml", shipped_presets());
    CHECK(ev.events.max_subscribers == 7);
    CHECK(ev.events.queue_seconds == 3);
    CHECK(ev.events.resume_seconds == 60);
    CHECK(ev.events.ping_seconds == 5);
    CHECK(definition_error(minimal_definition + "[events]\nqueue = 0\n") ==
          "streams/radio.toml:6: key 'events.queue': expected a number of seconds from 1 to 600, got 0");
    CHECK(definition_error(minimal_definition + "[events]\nmax = 3\n") ==
          "streams/radio.toml:6: key 'events.max': unknown key; [events] takes: max_subscribers, queue, resume, ping");
    CHECK(definition_error(minimal_definition + "[listeners]\nburst_size = 3\n") ==
          "streams/radio.toml:6: key 'listeners.burst_size': unknown key; [listeners] takes: max, burst, burst_bytes, queue, metaint");
    CHECK(definition_error("[input]\nkind = \"file\"\nuri = \"x.wav\"\nfiles = []\n" + outputs) ==
          "streams/radio.toml:4: key 'input.files': unknown key; an input of kind 'file' takes: kind, uri, loop");
    CHECK(definition_error(minimal_definition + "[analysis]\nprocessor = [\"level\"]\n") ==
          "streams/radio.toml:6: key 'analysis.processor': unknown key; [analysis] takes: processors");
    CHECK(definition_error(minimal_definition + "[fallback]\nkind = \"silence\"\nuri = \"x\"\n") ==
          "streams/radio.toml:7: key 'fallback.uri': unknown key; a fallback of kind 'silence' takes: kind");
    // Inputs.
    CHECK(definition_error(outputs) ==
          "streams/radio.toml: missing table [input] (kind = \"file\", \"playlist\", \"icecast\", \"http\" or \"signal\")");
    CHECK(definition_error("[input]\nkind = \"rtmp\"\n" + outputs) ==
          "streams/radio.toml:2: key 'input.kind': expected one of file, playlist, icecast, http, signal, got 'rtmp'");
    CHECK(definition_error("[input]\nuri = \"x\"\n" + outputs) ==
          "streams/radio.toml:1: key 'input.kind': missing: kind = \"file\", \"playlist\", \"icecast\", \"http\" or \"signal\"");
    CHECK(definition_error("[input]\nkind = \"file\"\n" + outputs) ==
          "streams/radio.toml:1: key 'input.uri': missing: an input of kind 'file' needs its uri");
    CHECK(definition_error("[input]\nkind = \"file\"\nuri = \"/no/such/file.wav\"\n" + outputs)
              .starts_with("streams/radio.toml:3: key 'input.uri': no such file '/no/such/file.wav'"));
    CHECK(definition_error("[input]\nkind = \"file\"\nuri = \"http://x/y.mp3\"\n" + outputs) ==
          "streams/radio.toml:3: key 'input.uri': 'http://x/y.mp3' is not a file (a URL is pulled with [input] kind = \"http\")");
    CHECK(definition_error("[input]\nkind = \"http\"\nuri = \"ftp://x/y.mp3\"\n" + outputs) ==
          "streams/radio.toml:3: key 'input.uri': expected an http:// or https:// URL, got 'ftp://x/y.mp3'");
    CHECK(definition_error("[input]\nkind = \"playlist\"\nfiles = []\n" + outputs) ==
          "streams/radio.toml:3: key 'input.files': expected a non-empty array of file paths, got an array");
    CHECK(definition_error("[input]\nkind = \"icecast\"\npassword = \"\"\n" + outputs) ==
          "streams/radio.toml:3: key 'input.password': expected a non-empty string, got ''");
    const std::string signal_expected = "expected 'sine:F' (F from 1 to 20000 Hz), 'clicks:BPM' (20 to 300) or 'silence'";
    for (const char* bad : {"sine:0", "sine:20001", "sine:", "sine:4x", "clicks:10", "clicks:301", "noise", "sine"})
        CHECK(definition_error(fmt::format("[input]\nkind = \"signal\"\nsignal = \"{}\"\n", bad) + outputs) ==
              fmt::format("streams/radio.toml:3: key 'input.signal': {}, got '{}'", signal_expected, bad));
    // Outputs.
    CHECK(definition_error(input) ==
          "streams/radio.toml: no [[outputs]]: a mount needs at least one (format = \"mp3\", \"ogg\", \"opus\" or \"flac\")");
    CHECK(definition_error(input + "[[outputs]]\nformat = \"aac\"\n") ==
          "streams/radio.toml:4: key 'outputs[0].format': expected one of mp3, ogg, opus, flac, got 'aac'");
    CHECK(definition_error(input + "[[outputs]]\npreset = \"mp3-128k\"\n") ==
          "streams/radio.toml:3: key 'outputs[0].format': missing: format = \"mp3\", \"ogg\", \"opus\" or \"flac\"");
    CHECK(definition_error(input + "[[outputs]]\nformat = \"mp3\"\npreset = \"opus-96k\"\n") ==
          "streams/radio.toml:5: key 'outputs[0].preset': preset 'opus-96k' configures opus_encoder, format 'mp3' is "
          "encoded by mp3_encoder; mp3 presets: mp3-128k, mp3-320k, mp3-v2");
    CHECK(definition_error(input + "[[outputs]]\nformat = \"opus\"\npreset = \"opus-1k\"\n") ==
          "streams/radio.toml:5: key 'outputs[0].preset': unknown preset 'opus-1k'; opus presets: opus-128k, opus-64k, opus-96k");
    CHECK(definition_error(input + "[[outputs]]\nformat = \"mp3\"\nbitrate = 100\n") ==
          "streams/radio.toml:3: key 'outputs[0]': mp3_encoder: invalid value bitrate=100: expected one of: 8, 16, 24, "
          "32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320");
    CHECK(definition_error(input + "[[outputs]]\nformat = \"ogg\"\nbitrate = 128\n") ==
          "streams/radio.toml:3: key 'outputs[0]': vorbis_encoder: unknown parameter 'bitrate'; valid parameters: quality");
    CHECK(definition_error(input + "[[outputs]]\nformat = \"ogg\"\nquality = [1]\n") ==
          "streams/radio.toml:5: key 'outputs[0].quality': expected a parameter of vorbis_encoder (a boolean, number or "
          "string), got an array");
    CHECK(definition_error(input + outputs + "[[outputs]]\nformat = \"mp3\"\nbitrate = 320\n") ==
          "streams/radio.toml:5: key 'outputs[1].format': a second 'mp3' output: each output is served at "
          "/live/radio.mp3, so one per format");
    CHECK(definition_error("outputs = \"mp3\"\n" + input) ==
          "streams/radio.toml:1: key 'outputs': expected an array of tables ([[outputs]]), got 'mp3'");
    // Analysis: analyzers only, checked by their validator.
    CHECK(definition_error(minimal_definition + "[analysis]\nprocessors = [\"level\", \"mp3_encoder\"]\n").starts_with(
        "streams/radio.toml:6: key 'analysis.processors[1]': 'mp3_encoder' is a encoder; live analysis takes analyzers: "));
    CHECK(definition_error(minimal_definition + "[analysis]\nprocessors = [\"nope\"]\n").starts_with(
        "streams/radio.toml:6: key 'analysis.processors[0]': unknown processor or preset 'nope'; valid processors: "));
    CHECK(definition_error(minimal_definition + "[analysis]\nprocessors = [\"aubio_pitch:buffer_size=3\"]\n").starts_with(
        "streams/radio.toml:6: key 'analysis.processors[0]': aubio_pitch: invalid value buffer_size=3: expected "));
    CHECK(definition_error(minimal_definition + "[analysis]\nprocessors = \"level\"\n") ==
          "streams/radio.toml:6: key 'analysis.processors': expected an array of processor specs ([\"level\", "
          "\"aubio_temporal\"]), got 'level'");
    // Fallbacks.
    CHECK(definition_error(minimal_definition + "[fallback]\nkind = \"mount\"\nmount = \"radio\"\n") ==
          "streams/radio.toml:7: key 'fallback.mount': mount 'radio' cannot fall back to itself");
    CHECK(definition_error(minimal_definition + "[fallback]\nkind = \"mount\"\n") ==
          "streams/radio.toml:5: key 'fallback.mount': missing: the id of the mount heard");
    CHECK(definition_error(minimal_definition + "[fallback]\nkind = \"mount\"\nmount = \"../x\"\n") ==
          "streams/radio.toml:7: key 'fallback.mount': expected another mount's id (lower-case letters, digits, - and "
          "_), got '../x'");
    CHECK(definition_error(minimal_definition + "[fallback]\nkind = \"file\"\n") ==
          "streams/radio.toml:5: key 'fallback.uri': missing: a file fallback needs its uri");
    CHECK(definition_error(minimal_definition + "[fallback]\nkind = \"relay\"\n") ==
          "streams/radio.toml:6: key 'fallback.kind': expected one of silence, file, mount, got 'relay'");
    // The id is a URL segment; TOML syntax errors give the line.
    CHECK(definition_error(minimal_definition, "streams/My Radio.toml") ==
          "streams/My Radio.toml: the file's name is the mount's id, a URL segment: lower-case letters, digits, - and _, "
          "starting with a letter or digit (got 'My Radio')");
    CHECK(definition_error("name = \n" + minimal_definition) .starts_with("streams/radio.toml:1: "));
}

TEST_CASE("[rtsp]: open by default; a password asks RTSP clients for user and password; never listed", "[definition][rtsp]") {
    const stream_definition open = parse_definition(minimal_definition);
    CHECK(open.rtsp.user == "listener");
    CHECK(open.rtsp.password.empty());
    const stream_definition locked = parse_definition(minimal_definition + "[rtsp]\nuser = \"radio\"\npassword = \"s3cret\"\n");
    CHECK(locked.rtsp.user == "radio");
    CHECK(locked.rtsp.password == "s3cret");
    const auto json = to_json(locked);
    CHECK(json["rtsp"] == nlohmann::json{{"user", "radio"}, {"password_set", true}});
    CHECK(json.dump().find("s3cret") == std::string::npos);
    CHECK(definition_error(minimal_definition + "[rtsp]\nuser = \"a:b\"\n") ==
          "streams/radio.toml:6: key 'rtsp.user': expected a non-empty user name without ':', got 'a:b'");
    CHECK(definition_error(minimal_definition + "[rtsp]\npass = \"x\"\n") ==
          "streams/radio.toml:6: key 'rtsp.pass': unknown key; [rtsp] takes: user, password");
}
