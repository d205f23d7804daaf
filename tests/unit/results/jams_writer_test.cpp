// JAMS: Python's json reads the file and checks the JAMS 0.3 structure (file_metadata, an
// annotation per result with annotation_metadata, namespace and observations); then the
// namespace each result went to and its values.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "../test_support.hpp"
#include "results/jams_writer.hpp"
#include "results_test_support.hpp"

using namespace timeside;
using namespace timeside::test;

namespace {

// The structure the JAMS schema asks for, checked by Python on the file as written.
const char* jams_structure = R"(
import json, sys
j = json.load(open(sys.argv[1]))
assert set(j) == {'file_metadata', 'annotations', 'sandbox'}, set(j)
fm = j['file_metadata']
for k in ('title', 'artist', 'release', 'jams_version'):
    assert isinstance(fm[k], str), k
assert isinstance(fm['duration'], (int, float)) and fm['duration'] >= 0
assert isinstance(fm['identifiers'], dict)
for a in j['annotations']:
    assert isinstance(a['namespace'], str) and a['namespace']
    m = a['annotation_metadata']
    assert set(m['curator']) == {'name', 'email'}
    for k in ('corpus', 'annotation_tools', 'annotation_rules', 'validation', 'data_source'):
        assert isinstance(m[k], str), k
    assert isinstance(m['annotator'], dict) and isinstance(a['sandbox'], dict)
    assert isinstance(a['data'], list)
    for o in a['data']:
        assert set(o) == {'time', 'duration', 'value', 'confidence'}, o
        assert isinstance(o['time'], (int, float)) and o['time'] >= 0
        assert isinstance(o['duration'], (int, float)) and o['duration'] >= 0
print(len(j['annotations']))
)";

const nlohmann::json& annotation(const nlohmann::json& j, const std::string& id) {
    for (const auto& a : j["annotations"])
        if (a["sandbox"]["timeside"]["id"] == id) return a;
    FAIL("no annotation for " << id);
    return j;
}

}  // namespace

TEST_CASE("JAMS has the JAMS 0.3 structure, read by Python's json", "[results][jams]") {
    temp_dir dir;
    const auto results = sample_results();
    write_text(dir / "r.jams", results_to_jams(results));
    auto r = run_python(dir.path(), jams_structure, dir / "r.jams");
    REQUIRE(r.status == 0);
    CHECK(r.out == std::to_string(results.size()) + "\n");
}

TEST_CASE("JAMS maps aubio's results to their namespaces", "[results][jams]") {
    const auto j = nlohmann::json::parse(results_to_jams(sample_results()));
    CHECK(j["file_metadata"]["duration"] == 10.0);
    CHECK(j["file_metadata"]["jams_version"] == "0.3.4");
    CHECK(j["sandbox"]["timeside"]["sha1"] == std::string(40, 'a'));

    const auto& onset = annotation(j, "aubio_temporal.onset");
    CHECK(onset["namespace"] == "onset");
    REQUIRE(onset["data"].size() == 2);
    CHECK(onset["data"][1]["time"] == 1.5);
    CHECK(onset["data"][1]["duration"] == 0);

    const auto& beat = annotation(j, "aubio_temporal.beat");
    CHECK(beat["namespace"] == "beat");
    REQUIRE(beat["data"].size() == 3);
    CHECK(beat["data"][2]["value"].is_null());

    const auto& tempo = annotation(j, "aubio_temporal.bpm");
    CHECK(tempo["namespace"] == "tempo");
    REQUIRE(tempo["data"].size() == 1);
    CHECK(tempo["data"][0]["value"] == 120);
    CHECK(tempo["data"][0]["confidence"] == 1.0);

    const auto& pitch = annotation(j, "aubio_pitch.pitch");
    CHECK(pitch["namespace"] == "pitch_contour");
    REQUIRE(pitch["data"].size() == 4);
    const bool voiced[] = {true, false, false, true};
    const double frequency[] = {440, 0, 220, 330}, confidence[] = {0.875, 0.125, 0.25, 0.75};
    for (size_t i = 0; i < 4; ++i) {
        const auto& o = pitch["data"][i];
        CHECK(o["time"].get<double>() == Approx(i * 0.05));
        CHECK(o["value"]["index"] == 0);
        CHECK(o["value"]["voiced"] == voiced[i]);
        CHECK(o["value"]["frequency"] == frequency[i]);
        CHECK(o["confidence"] == confidence[i]);
    }

    const auto& silence = annotation(j, "aubio_silence");
    CHECK(silence["namespace"] == "segment_open");
    REQUIRE(silence["data"].size() == 2);
    CHECK(silence["data"][1]["value"] == "Not Silence");
    CHECK(silence["data"][1]["time"] == 1.25);
    CHECK(silence["data"][1]["duration"] == 8.75);
}

TEST_CASE("JAMS puts other results in vector, segment_open or tag_open", "[results][jams]") {
    const auto j = nlohmann::json::parse(results_to_jams(sample_results()));
    const auto& max = annotation(j, "level.max");
    CHECK(max["namespace"] == "vector");
    REQUIRE(max["data"].size() == 1);
    CHECK(max["data"][0]["value"] == nlohmann::json({-3.5}));
    CHECK(max["data"][0]["duration"] == 10.0);
    CHECK(max["sandbox"]["timeside"]["parameters"]["method"] == "hfc");
    CHECK(max["annotation_metadata"]["annotator"]["name"] == "TimeSide");

    const auto& spec = annotation(j, "spectrogram_analyzer");
    CHECK(spec["namespace"] == "vector");
    REQUIRE(spec["data"].size() == 3);
    CHECK(spec["data"][1]["value"] == nlohmann::json({4, 5, 6, 7}));
    CHECK(spec["sandbox"]["timeside"]["frame_metadata"]["stepsize"] == 4);

    // Framewise labels: one segment per run of one label.
    const auto& voice = annotation(j, "voice");
    CHECK(voice["namespace"] == "segment_open");
    REQUIRE(voice["data"].size() == 3);
    CHECK(voice["data"][1]["value"] == "on");
    CHECK(voice["data"][1]["time"].get<double>() == Approx(0.2));
    CHECK(voice["data"][1]["duration"].get<double>() == Approx(0.2));
    CHECK(voice["data"][2]["duration"].get<double>() == Approx(0.1));

    const auto& genre = annotation(j, "genre");
    CHECK(genre["namespace"] == "tag_open");
    CHECK(genre["data"][0]["value"] == "rock, \"hard\"");
    CHECK(annotation(j, "aubio_temporal.beat_confidence")["namespace"] == "vector");
}

TEST_CASE("JAMS stays valid JSON with non-finite values and no results", "[results][jams]") {
    auto r = make_result("aubio_pitch.pitch", data_mode::value, time_mode::framewise);
    r.data.value = {NAN, INFINITY};
    r.frames = {1000, 10, 10};
    auto v = make_result("v", data_mode::value, time_mode::event);
    v.data.value = {NAN};
    v.data.time = {1};
    const auto j = nlohmann::json::parse(results_to_jams(std::vector<analyzer_result>{r, v}));
    CHECK(j["annotations"][0]["data"][0]["value"]["voiced"] == false);
    CHECK(j["annotations"][0]["data"][0]["value"]["frequency"] == 0);
    CHECK(j["annotations"][1]["data"][0]["value"][0].is_null());
    const auto empty = nlohmann::json::parse(results_to_jams({}));
    CHECK(empty["annotations"].empty());
    CHECK(empty["file_metadata"]["duration"] == 0);
}
