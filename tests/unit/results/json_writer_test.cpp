// The JSON serializer writes TimeSide's shape, readable back with any JSON reader.
#include <catch2/catch.hpp>

#include <cmath>

#include "results/json_writer.hpp"

using namespace timeside;

TEST_CASE("a global value result has TimeSide's keys and numpyArray encoding", "[results][json]") {
    analyzer_result r;
    r.id.id = "level.max";
    r.id.name = "Level Analyzer Max";
    r.data.value = {-3.5};
    r.audio.uri = "sweep.wav";
    r.audio.channels = 2;
    auto j = nlohmann::json::parse(results_to_json(std::vector<analyzer_result>{r}));
    REQUIRE(j.is_array());
    auto& x = j[0];
    CHECK(x["data_mode"] == "value");
    CHECK(x["time_mode"] == "global");
    CHECK(x["id_metadata"]["id"] == "level.max");
    CHECK(x["data_object"]["value"]["numpyArray"][0] == -3.5);
    CHECK(x["data_object"]["value"]["dtype"] == "float64");
    CHECK(x["audio_metadata"]["channels"] == 2);
    CHECK(x["audio_metadata"].contains("channelsManagement"));
    CHECK_FALSE(x["data_object"].contains("frame_metadata"));
}

TEST_CASE("framewise rows become nested arrays with frame metadata", "[results][json]") {
    analyzer_result r;
    r.tmode = time_mode::framewise;
    r.data.value = {1, 2, 3, 4, 5, 6};
    r.data.width = 3;
    r.frames = {44100, 2048, 1024};
    auto x = result_to_json(r);
    CHECK(x["data_object"]["value"]["numpyArray"].size() == 2);
    CHECK(x["data_object"]["value"]["numpyArray"][1][2] == 6);
    CHECK(x["data_object"]["frame_metadata"]["stepsize"] == 1024);
    CHECK(r.time_at(3) == Approx(3 * 1024 / 44100.0));
}

TEST_CASE("segment labels carry times, durations and label names", "[results][json]") {
    analyzer_result r;
    r.dmode = data_mode::label;
    r.tmode = time_mode::segment;
    r.data.label = {0, 1};
    r.data.time = {0.0, 1.5};
    r.data.duration = {1.5, 2.0};
    r.labels.label = {{0, "Silence"}, {1, "Not Silence"}};
    auto x = result_to_json(r);
    CHECK(x["data_object"]["label"]["dtype"] == "int64");
    CHECK(x["data_object"]["label_metadata"]["label"]["1"] == "Not Silence");
    CHECK(x["data_object"]["duration"]["numpyArray"][1] == 2.0);
}

TEST_CASE("non-finite values become null rather than invalid JSON", "[results][json]") {
    analyzer_result r;
    r.data.value = {std::nan(""), INFINITY};
    auto text = results_to_json(std::vector<analyzer_result>{r});
    auto x = nlohmann::json::parse(text);
    CHECK(x[0]["data_object"]["value"]["numpyArray"][0].is_null());
}
