// What the serializer tests share: hand-built results of every data_mode × time_mode (with the
// ids the JAMS mapping knows), and running the standard readers (python3, h5dump, ffmpeg).
#pragma once

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <sys/wait.h>

#include "core/result.hpp"

namespace timeside::test {

inline analyzer_result make_result(const std::string& id, data_mode dm, time_mode tm) {
    analyzer_result r;
    r.id.id = id;
    r.id.name = id + " name";
    r.id.unit = "u";
    r.id.version = "1.0";
    r.id.author = "TimeSide";
    r.id.date = "2026-01-01 00:00:00";
    r.dmode = dm;
    r.tmode = tm;
    r.audio.uri = "file:///samples/x.wav";
    r.audio.duration = 10.0;
    r.audio.sha1 = std::string(40, 'a');
    r.audio.channels = 2;
    r.parameters = {{"blocksize", 1024}, {"method", "hfc"}, {"flag", true}, {"threshold", -70.5},
                    {"nested", {{"a", {1, 2}}}}, {"unset", nullptr}};
    return r;
}

// Eleven results covering value|label × global|framewise|event|segment.
inline std::vector<analyzer_result> sample_results() {
    std::vector<analyzer_result> v;
    auto& max = v.emplace_back(make_result("level.max", data_mode::value, time_mode::global));
    max.data.value = {-3.5};

    auto& spec = v.emplace_back(make_result("spectrogram_analyzer", data_mode::value, time_mode::framewise));
    spec.data.width = 4;
    spec.data.value = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    spec.data.y_value = {0, 1000, 2000, 3000};
    spec.frames = {8000, 8, 4};  // a row every 0.5 ms, 1 ms long

    auto& pitch = v.emplace_back(make_result("aubio_pitch.pitch", data_mode::value, time_mode::framewise));
    pitch.data.value = {440, 0, -220, 330};
    pitch.frames = {1000, 100, 50};
    auto& conf = v.emplace_back(make_result("aubio_pitch.pitch_confidence", data_mode::value, time_mode::framewise));
    conf.data.value = {0.875, 0.125, 0.25, 0.75};
    conf.frames = pitch.frames;

    auto& beat_conf = v.emplace_back(make_result("aubio_temporal.beat_confidence", data_mode::value, time_mode::event));
    beat_conf.data.value = {0.5, 0.75};
    beat_conf.data.time = {0.5, 1.0};

    auto& bpm = v.emplace_back(make_result("aubio_temporal.bpm", data_mode::value, time_mode::segment));
    bpm.data.value = {120};
    bpm.data.time = {0.5};
    bpm.data.duration = {0.5};

    auto& genre = v.emplace_back(make_result("genre", data_mode::label, time_mode::global));
    genre.data.label = {2};
    genre.labels.label = {{2, "rock, \"hard\""}};

    auto& voice = v.emplace_back(make_result("voice", data_mode::label, time_mode::framewise));
    voice.data.label = {0, 0, 1, 1, 0};
    voice.frames = {1000, 100, 100};
    voice.labels.label = {{0, "off"}, {1, "on"}};
    voice.labels.description = {{0, "no voice"}, {1, "voice"}};

    auto& onset = v.emplace_back(make_result("aubio_temporal.onset", data_mode::label, time_mode::event));
    onset.data.label = {1, 1};
    onset.data.time = {0.25, 1.5};
    onset.labels.label = {{1, "Onset"}};

    auto& beat = v.emplace_back(make_result("aubio_temporal.beat", data_mode::label, time_mode::event));
    beat.data.label = {1, 1, 1};
    beat.data.time = {0.5, 1.0, 1.5};
    beat.labels.label = {{1, "Beat"}};

    auto& silence = v.emplace_back(make_result("aubio_silence", data_mode::label, time_mode::segment));
    silence.data.label = {0, 1};
    silence.data.time = {0, 1.25};
    silence.data.duration = {1.25, 8.75};
    silence.labels.label = {{0, "Silence"}, {1, "Not Silence"}};
    return v;
}

struct command_result {
    int status = -1;
    std::string out;
};

// Runs `cmd` through the shell; stdout captured, stderr left to the test's own.
inline command_result run_shell(const std::string& cmd) {
    command_result r;
    FILE* f = popen(cmd.c_str(), "r");
    if (!f) return r;
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) r.out.append(buf, n);
    const int st = pclose(f);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

inline void write_text(const std::filesystem::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
}

inline std::string read_text(const std::filesystem::path& path) {
    std::ifstream f(path, std::ios::binary);
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

// Runs a Python script (the system's python3, standard library only) on `file`; its stdout.
inline command_result run_python(const std::filesystem::path& dir, const std::string& script,
                                 const std::filesystem::path& file) {
    const auto path = dir / "check.py";
    write_text(path, script);
    return run_shell("/usr/bin/python3 '" + path.string() + "' '" + file.string() + "'");
}

// Every non-hidden and hidden entry of a directory, by name (not `entries`: encoder_test_support.hpp
// has an inline `entries` counting them, and two inline definitions of one name break the ODR).
inline std::vector<std::string> entry_names(const std::filesystem::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

}  // namespace timeside::test
