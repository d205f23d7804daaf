// The format table behind --results: names, extensions, the usage error for an unknown name,
// and write_results_file writing every format complete, with no temporary left behind.
#include <catch2/catch.hpp>

#include <sstream>

#include "../test_support.hpp"
#include "core/errors.hpp"
#include "results/csv_writer.hpp"
#include "results/formats.hpp"
#include "results/json_writer.hpp"
#include "results/vtt_writer.hpp"
#include "results_test_support.hpp"

using namespace timeside;
using namespace timeside::test;

TEST_CASE("result formats have their names and file extensions", "[results][formats]") {
    CHECK(result_format_names() == "json, csv, jams, vtt, audacity, hdf5");
    CHECK(find_result_format("audacity")->extension == "audacity.txt");
    CHECK(find_result_format("hdf5")->extension == "h5");
    CHECK(find_result_format("vtt")->mime.substr(0, 8) == "text/vtt");
    CHECK(find_result_format("xml") == nullptr);
    // Formats that read framewise rows from memory: hdf5 streams them, vtt and audacity skip them.
    CHECK(find_result_format("json")->needs_rows);
    CHECK_FALSE(find_result_format("hdf5")->needs_rows);
    CHECK_FALSE(find_result_format("vtt")->needs_rows);
}

TEST_CASE("--results lists parse in order, once each; an unknown name names the valid ones", "[results][formats]") {
    auto f = parse_result_formats("csv,json,,csv,hdf5");
    REQUIRE(f.size() == 3);
    CHECK(f[0]->name == "csv");
    CHECK(f[2]->name == "hdf5");
    CHECK(parse_result_formats("").empty());
    CHECK_THROWS_AS(parse_result_formats("json,xml"), usage_error);
    CHECK_THROWS_WITH(parse_result_formats("json,xml"),
                      "--results: unknown format 'xml'; valid formats: json, csv, jams, vtt, audacity, hdf5");
}

TEST_CASE("every format is written to its file whole, nothing else left in the directory", "[results][formats]") {
    temp_dir dir;
    const auto results = sample_results();
    std::vector<std::string> expected;
    for (const auto& f : result_formats()) {
        const std::string name = "x.results." + std::string(f.extension);
        write_results_file(f, dir / name, results);
        expected.push_back(name);
    }
    std::sort(expected.begin(), expected.end());
    CHECK(entry_names(dir.path()) == expected);
    CHECK(read_text(dir / "x.results.csv") == results_to_csv(results));
    CHECK(read_text(dir / "x.results.vtt") == results_to_vtt(results));
    CHECK(read_text(dir / "x.results.json") == results_to_json(results, 2) + "\n");
    CHECK(read_text(dir / "x.results.h5").substr(0, 8) == "\x89HDF\r\n\x1a\n");

    std::ostringstream out;
    CHECK_THROWS_AS(write_results(*find_result_format("hdf5"), out, results), usage_error);
}

TEST_CASE("a text format that cannot be written leaves nothing and names the file", "[results][formats]") {
    temp_dir dir;
    std::filesystem::create_directory(dir / "taken.csv");  // a directory where the file should go
    CHECK_THROWS_WITH(write_results_file(*find_result_format("csv"), dir / "taken.csv", sample_results()),
                      Catch::Contains("taken.csv"));
    CHECK(entry_names(dir.path()) == std::vector<std::string>{"taken.csv"});
}
