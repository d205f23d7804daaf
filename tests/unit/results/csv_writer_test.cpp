// CSV: one header, one row per value (a row per frame for a spectrogram), RFC 4180 quoting, read
// back by Python's csv module.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "../test_support.hpp"
#include "results/csv_writer.hpp"
#include "results_test_support.hpp"

using namespace timeside;
using namespace timeside::test;

namespace {

// Python's csv.reader turns the file back into rows; printed as JSON for the test to inspect.
const char* csv_to_json = R"(
import csv, json, sys
with open(sys.argv[1], newline='') as f:
    rows = list(csv.reader(f))
print(json.dumps(rows))
)";

nlohmann::json read_with_python(const temp_dir& dir, const std::string& text) {
    write_text(dir / "r.csv", text);
    auto r = run_python(dir.path(), csv_to_json, dir / "r.csv");
    REQUIRE(r.status == 0);
    return nlohmann::json::parse(r.out);
}

std::vector<nlohmann::json> rows_of(const nlohmann::json& rows, const std::string& id) {
    std::vector<nlohmann::json> out;
    for (const auto& row : rows)
        if (row[0] == id) out.push_back(row);
    return out;
}

}  // namespace

TEST_CASE("CSV of every data and time mode reads back with Python's csv module", "[results][csv]") {
    temp_dir dir;
    auto rows = read_with_python(dir, results_to_csv(sample_results()));
    REQUIRE(rows[0] == nlohmann::json({"id", "time", "duration", "label", "value", "value_1", "value_2", "value_3"}));
    for (const auto& row : rows) CHECK(row.size() == 8);  // every row as wide as the header

    auto max = rows_of(rows, "level.max");
    REQUIRE(max.size() == 1);
    CHECK(max[0][1] == "0");
    CHECK(std::stod(max[0][2].get<std::string>()) == 10.0);
    CHECK(std::stod(max[0][4].get<std::string>()) == -3.5);
    CHECK(max[0][5] == "");

    auto spec = rows_of(rows, "spectrogram_analyzer");  // one row per frame, a column per bin
    REQUIRE(spec.size() == 3);
    CHECK(std::stod(spec[2][1].get<std::string>()) == Approx(2 * 4 / 8000.0));
    CHECK(std::stod(spec[2][2].get<std::string>()) == Approx(8 / 8000.0));
    for (int k = 0; k < 4; ++k) CHECK(std::stod(spec[2][4 + k].get<std::string>()) == 8 + k);

    auto pitch = rows_of(rows, "aubio_pitch.pitch");
    REQUIRE(pitch.size() == 4);
    CHECK(std::stod(pitch[3][1].get<std::string>()) == Approx(0.15));
    CHECK(std::stod(pitch[2][4].get<std::string>()) == -220);

    auto beat_conf = rows_of(rows, "aubio_temporal.beat_confidence");
    REQUIRE(beat_conf.size() == 2);
    CHECK(std::stod(beat_conf[1][1].get<std::string>()) == 1.0);
    CHECK(beat_conf[1][2] == "0");
    CHECK(std::stod(beat_conf[1][4].get<std::string>()) == 0.75);

    auto bpm = rows_of(rows, "aubio_temporal.bpm");
    REQUIRE(bpm.size() == 1);
    CHECK(std::stod(bpm[0][2].get<std::string>()) == 0.5);
    CHECK(bpm[0][4] == "120");

    auto genre = rows_of(rows, "genre");  // a comma and quotes inside the label survive
    REQUIRE(genre.size() == 1);
    CHECK(genre[0][3] == "rock, \"hard\"");
    CHECK(genre[0][4] == "2");

    auto voice = rows_of(rows, "voice");
    REQUIRE(voice.size() == 5);
    CHECK(voice[2][3] == "on");
    CHECK(std::stod(voice[2][1].get<std::string>()) == Approx(0.2));

    CHECK(rows_of(rows, "aubio_temporal.onset").size() == 2);
    CHECK(rows_of(rows, "aubio_temporal.beat").size() == 3);
    auto silence = rows_of(rows, "aubio_silence");
    REQUIRE(silence.size() == 2);
    CHECK(std::stod(silence[1][1].get<std::string>()) == 1.25);
    CHECK(std::stod(silence[1][2].get<std::string>()) == 8.75);
    CHECK(silence[1][3] == "Not Silence");
    CHECK(rows.size() == 1 + 1 + 3 + 4 + 4 + 2 + 1 + 1 + 5 + 2 + 3 + 2);
}

TEST_CASE("CSV follows RFC 4180: CRLF line ends, quoted fields with doubled quotes", "[results][csv]") {
    auto r = make_result("words", data_mode::label, time_mode::event);
    r.data.label = {0, 1};
    r.data.time = {0.0, 1.0};
    r.labels.label = {{0, "say \"hi\", then"}, {1, "two\nlines"}};
    const std::string text = results_to_csv(std::vector<analyzer_result>{r});
    CHECK(text.find("\"say \"\"hi\"\", then\"") != std::string::npos);
    CHECK(text.find("\"two\nlines\"") != std::string::npos);
    CHECK(text.substr(0, 30) == "id,time,duration,label,value\r\n");
    CHECK(text.substr(text.size() - 2) == "\r\n");

    temp_dir dir;
    auto rows = read_with_python(dir, text);
    REQUIRE(rows.size() == 3);
    CHECK(rows[1][3] == "say \"hi\", then");
    CHECK(rows[2][3] == "two\nlines");
}

TEST_CASE("CSV numbers read back exactly, non-finite ones as Python's float() reads them", "[results][csv]") {
    auto r = make_result("x", data_mode::value, time_mode::event);
    r.data.value = {0.1, 1e-300, NAN, -INFINITY};
    r.data.time = {0, 1, 2, 3};
    temp_dir dir;
    write_text(dir / "r.csv", results_to_csv(std::vector<analyzer_result>{r}));
    auto out = run_python(dir.path(), R"(
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline='')))
print(' '.join(repr(float(r['value'])) for r in rows))
)", dir / "r.csv");
    REQUIRE(out.status == 0);
    CHECK(out.out == "0.1 1e-300 nan -inf\n");
}

TEST_CASE("CSV of no results is its header alone; a result without values keeps its rows", "[results][csv]") {
    CHECK(results_to_csv({}) == "id,time,duration,label,value\r\n");
    auto r = make_result("aubio_temporal.onset", data_mode::value, time_mode::event);
    r.data.time = {0.5, 1.5};  // times only, as TimeSide's onsets
    CHECK(results_to_csv(std::vector<analyzer_result>{r}) ==
          "id,time,duration,label,value\r\naubio_temporal.onset,0.5,0,,\r\naubio_temporal.onset,1.5,0,,\r\n");
}
