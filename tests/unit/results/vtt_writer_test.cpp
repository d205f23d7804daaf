// WebVTT: a strict reader here (header, blocks, timing lines, order, end after start, one JSON
// payload per cue), then FFmpeg's WebVTT demuxer on the same file.
#include <catch2/catch.hpp>

#include <regex>

#include <nlohmann/json.hpp>

#include "../test_support.hpp"
#include "results/vtt_writer.hpp"
#include "results_test_support.hpp"

using namespace timeside;
using namespace timeside::test;

namespace {

struct vtt_cue {
    std::string id;
    int64_t start_ms, end_ms;
    nlohmann::json payload;
};

// The WebVTT file syntax, strictly: "WEBVTT" alone on the first line, blocks separated by one
// blank line, a timing line "HH:MM:SS.mmm --> HH:MM:SS.mmm" after an optional identifier,
// payload lines without "-->", cues ordered by start, each ending after it starts.
std::vector<vtt_cue> parse_vtt(const std::string& text) {
    static const std::regex timing(R"(^(\d{2,}):([0-5]\d):([0-5]\d)\.(\d{3}) --> (\d{2,}):([0-5]\d):([0-5]\d)\.(\d{3})$)");
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    REQUIRE(!lines.empty());
    REQUIRE(lines[0] == "WEBVTT");
    REQUIRE(text.back() == '\n');
    REQUIRE(text.find('\r') == std::string::npos);
    std::vector<vtt_cue> cues;
    size_t i = 1;
    while (i < lines.size()) {
        REQUIRE(lines[i].empty());  // exactly one blank line between blocks
        ++i;
        REQUIRE(i < lines.size());
        vtt_cue c;
        if (lines[i].find("-->") == std::string::npos) c.id = lines[i++];
        REQUIRE(i < lines.size());
        std::smatch m;
        REQUIRE(std::regex_match(lines[i], m, timing));
        auto ms = [&](int k) {
            return ((std::stoll(m[k]) * 60 + std::stoll(m[k + 1])) * 60 + std::stoll(m[k + 2])) * 1000 +
                   std::stoll(m[k + 3]);
        };
        c.start_ms = ms(1);
        c.end_ms = ms(5);
        ++i;
        REQUIRE(i < lines.size());
        REQUIRE(!lines[i].empty());
        REQUIRE(lines[i].find("-->") == std::string::npos);
        c.payload = nlohmann::json::parse(lines[i++]);
        CHECK(c.end_ms > c.start_ms);
        if (!cues.empty()) CHECK(c.start_ms >= cues.back().start_ms);
        cues.push_back(std::move(c));
    }
    return cues;
}

std::vector<vtt_cue> cues_of(const std::vector<vtt_cue>& cues, const std::string& id) {
    std::vector<vtt_cue> out;
    for (const auto& c : cues)
        if (c.payload["id"] == id) out.push_back(c);
    return out;
}

}  // namespace

TEST_CASE("WebVTT has a cue per event, segment and global result, none for framewise rows", "[results][vtt]") {
    auto cues = parse_vtt(results_to_vtt(sample_results()));
    CHECK(cues.size() == 1 + 2 + 1 + 1 + 2 + 3 + 2);
    CHECK(cues_of(cues, "spectrogram_analyzer").empty());
    CHECK(cues_of(cues, "aubio_pitch.pitch").empty());
    CHECK(cues_of(cues, "voice").empty());

    auto max = cues_of(cues, "level.max");
    REQUIRE(max.size() == 1);
    CHECK(max[0].start_ms == 0);
    CHECK(max[0].end_ms == 10000);  // spans the audio
    CHECK(max[0].payload["value"] == -3.5);
    CHECK(max[0].id == "level.max#1");

    auto beat_conf = cues_of(cues, "aubio_temporal.beat_confidence");
    REQUIRE(beat_conf.size() == 2);
    CHECK(beat_conf[1].start_ms == 1000);
    CHECK(beat_conf[1].end_ms == 1001);  // an event lasts the format's resolution
    CHECK(beat_conf[1].payload["value"] == 0.75);

    auto bpm = cues_of(cues, "aubio_temporal.bpm");
    REQUIRE(bpm.size() == 1);
    CHECK(bpm[0].start_ms == 500);
    CHECK(bpm[0].end_ms == 1000);
    CHECK(bpm[0].payload["value"] == 120);

    auto silence = cues_of(cues, "aubio_silence");
    REQUIRE(silence.size() == 2);
    CHECK(silence[1].payload["label"] == "Not Silence");
    CHECK(silence[1].payload["label_id"] == 1);
    CHECK(silence[1].start_ms == 1250);
    CHECK(silence[1].end_ms == 10000);
    CHECK(cues_of(cues, "genre")[0].payload["label"] == "rock, \"hard\"");
}

TEST_CASE("FFmpeg's WebVTT demuxer reads every cue", "[results][vtt]") {
    temp_dir dir;
    const auto path = dir / "r.vtt";
    const std::string text = results_to_vtt(sample_results());
    write_text(path, text);
    const auto expected = parse_vtt(text).size();

    auto probe = run_shell("ffprobe -v error -show_entries stream=codec_name -of csv=p=0 '" + path.string() + "'");
    REQUIRE(probe.status == 0);
    CHECK(probe.out == "webvtt\n");

    // Converted to SRT, every cue comes out with its timing.
    auto srt = run_shell("ffmpeg -v error -i '" + path.string() + "' -f srt - 2>&1");
    REQUIRE(srt.status == 0);
    size_t arrows = 0;
    for (size_t p = srt.out.find("-->"); p != std::string::npos; p = srt.out.find("-->", p + 3)) ++arrows;
    CHECK(arrows == expected);
    CHECK(srt.out.find("00:00:01,250 --> 00:00:10,000") != std::string::npos);
}

TEST_CASE("WebVTT timestamps are HH:MM:SS.mmm, hours growing past 99", "[results][vtt]") {
    CHECK(vtt_timestamp(0) == "00:00:00.000");
    CHECK(vtt_timestamp(3723004) == "01:02:03.004");
    CHECK(vtt_timestamp(int64_t{360000000}) == "100:00:00.000");
}

TEST_CASE("a label holding \"-->\" or a line break cannot break a cue", "[results][vtt]") {
    auto r = make_result("tags", data_mode::label, time_mode::segment);
    r.data.label = {0};
    r.data.time = {1.0};
    r.data.duration = {0.0};  // an empty segment still ends after it starts
    r.labels.label = {{0, "a-->b\n\nc"}};
    auto cues = parse_vtt(results_to_vtt(std::vector<analyzer_result>{r}));
    REQUIRE(cues.size() == 1);
    CHECK(cues[0].payload["label"] == "a-->b\n\nc");
    CHECK(cues[0].end_ms == 1001);
    CHECK(results_to_vtt({}) == "WEBVTT\n");
}
