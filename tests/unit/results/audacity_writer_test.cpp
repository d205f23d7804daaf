// Audacity labels: "start\tend\tlabel" lines for events (start = end) and segments only, sorted by
// start, read back by Python as tab-separated values.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "../test_support.hpp"
#include "results/audacity_writer.hpp"
#include "results_test_support.hpp"

using namespace timeside;
using namespace timeside::test;

TEST_CASE("Audacity labels hold a point per event and a region per segment", "[results][audacity]") {
    const std::string text = results_to_audacity_labels(sample_results());
    temp_dir dir;
    write_text(dir / "labels.txt", text);
    auto r = run_python(dir.path(), R"(
import csv, json, sys
rows = []
for fields in csv.reader(open(sys.argv[1], newline=''), delimiter='\t', quoting=csv.QUOTE_NONE):
    assert len(fields) == 3, fields
    rows.append([float(fields[0]), float(fields[1]), fields[2]])
print(json.dumps(rows))
)", dir / "labels.txt");
    REQUIRE(r.status == 0);
    auto rows = nlohmann::json::parse(r.out);
    REQUIRE(rows.size() == 2 + 1 + 2 + 3 + 2);  // no global, no framewise

    double last = -1;
    for (const auto& row : rows) {
        CHECK(row[0].get<double>() >= last);
        last = row[0].get<double>();
        CHECK(row[1].get<double>() >= row[0].get<double>());
    }
    auto find = [&](const std::string& text) {
        for (const auto& row : rows)
            if (row[2] == text) return row;
        FAIL("no label " << text);
        return nlohmann::json();
    };
    auto silence = find("aubio_silence: Not Silence");
    CHECK(silence[0] == 1.25);
    CHECK(silence[1] == 10.0);
    auto bpm = find("aubio_temporal.bpm: 120");
    CHECK(bpm[0] == 0.5);
    CHECK(bpm[1] == 1.0);
    auto onset = find("aubio_temporal.onset: Onset");
    CHECK(onset[0] == onset[1]);  // a point label
    find("aubio_temporal.beat_confidence: 0.75");
}

TEST_CASE("Audacity label lines use six decimals and keep tabs out of the label", "[results][audacity]") {
    auto r = make_result("marks", data_mode::label, time_mode::segment);
    r.data.label = {0};
    r.data.time = {1.5};
    r.data.duration = {0.25};
    r.labels.label = {{0, "a\tb\nc"}};
    CHECK(results_to_audacity_labels(std::vector<analyzer_result>{r}) == "1.500000\t1.750000\tmarks: a b c\n");
    CHECK(results_to_audacity_labels({}).empty());
}
