// An output's bin names (Vamp's binNames) reach the result files as the y_value labels of its
// columns, from the fixture plugin in fixtures/binned.cpp (Debian's examples have no bin names).
#include <catch2/catch.hpp>

#include <filesystem>

#include "analyzers/vamp/vamp_analyzer.hpp"
#include "analyzers/vamp/vamp_catalog.hpp"
#include "results/json_writer.hpp"

using namespace timeside;

TEST_CASE("Vamp bin names are the y_value labels of a framewise result's columns", "[vamp][results]") {
    const auto folder = std::filesystem::read_symlink("/proc/self/exe").parent_path() / "unit" / "vamp" / "fixtures";
    std::vector<std::string> skipped;
    auto libs = vamp::load_libraries({folder.string()}, [&](const std::string& f, const std::string& why) {
        skipped.push_back(f + ": " + why);
    });
    auto entries = vamp::describe_outputs(libs, [&](const std::string& f, const std::string& why) {
        skipped.push_back(f + ": " + why);
    });
    CHECK(skipped.empty());
    REQUIRE(entries.size() == 1);
    const auto& e = entries.front();
    CHECK(e.info.id == "vamp_binned_stats");

    vamp::vamp_analyzer a(e, validate_parameters(e.info.id, e.info.parameters, {}));
    const audio_format format{8000, 1};
    std::vector<float> x(1024);
    for (size_t i = 0; i < x.size(); ++i) x[i] = i < 512 ? 0.5f : (i % 2 ? -0.25f : 0.75f);
    a.setup(stream_info{.format = format, .total_frames = 1024, .blocksize = 1024, .media = {}});
    a.process(block::make(format, 0, x));
    a.finish();

    const auto& r = a.results().front();
    REQUIRE(r.data.width == 3);
    REQUIRE(r.rows() >= 2);
    CHECK(std::vector<double>(r.data.value.begin(), r.data.value.begin() + 6) ==
          std::vector<double>{0.5, 0.5, 0.5, 0.25, -0.25, 0.75});
    const auto j = result_to_json(r);
    CHECK(j["data_object"]["y_value"]["numpyArray"] == nlohmann::json::array({"mean", "minimum", "maximum"}));
    CHECK(j["data_object"]["y_value"]["dtype"] == "str");
    CHECK(j["data_object"]["value"]["numpyArray"][1] == nlohmann::json::array({0.25, -0.25, 0.75}));
}

TEST_CASE("a value result without column names keeps its numeric y_value", "[vamp][results]") {
    analyzer_result r;
    r.dmode = data_mode::value;
    r.tmode = time_mode::framewise;
    r.data.width = 2;
    r.data.value = {1, 2};
    r.data.y_value = {100, 200};
    const auto j = result_to_json(r);
    CHECK(j["data_object"]["y_value"]["numpyArray"] == nlohmann::json::array({100.0, 200.0}));
    CHECK(j["data_object"]["y_value"]["dtype"] == "float64");
}
