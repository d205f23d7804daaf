// HDF5: TimeSide's layout read back by h5dump (groups, attributes, dataset types and shapes,
// values) and by the HDF5 C API; framewise rows streamed from several threads; the file appears
// under its name only when committed, and a writer never committed leaves nothing.
#include <catch2/catch.hpp>

#include <regex>
#include <thread>

#include "../test_support.hpp"
#include "core/errors.hpp"
#include "results/hdf5_writer.hpp"
#include "results_test_support.hpp"

using namespace timeside;
using namespace timeside::test;

namespace {

std::string h5dump(const std::string& args, const std::filesystem::path& file) {
    auto r = run_shell("h5dump -y -w 0 " + args + " '" + file.string() + "' 2>&1");
    INFO(r.out);
    REQUIRE(r.status == 0);
    return r.out;
}

// The numbers of a dataset's DATA block, as h5dump prints them.
std::vector<double> h5dump_values(const std::filesystem::path& file, const std::string& dataset) {
    const std::string out = h5dump("-m %.17g -d '" + dataset + "'", file);
    const auto open = out.find("DATA {");
    REQUIRE(open != std::string::npos);
    std::string body = out.substr(open + 6, out.find('}', open + 6) - open - 6);
    std::replace(body.begin(), body.end(), ',', ' ');
    std::istringstream in(body);
    std::vector<double> v;
    for (double x; in >> x;) v.push_back(x);
    return v;
}

std::string dataspace_of(const std::filesystem::path& file, const std::string& dataset) {
    std::smatch m;
    const std::string out = h5dump("-H -d '" + dataset + "'", file);
    REQUIRE(std::regex_search(out, m, std::regex(R"(DATASPACE\s+SIMPLE \{ (.*) \})")));
    return m[1];
}

// The attribute's DATA line (a quoted string, a number or an enum name) as h5dump prints it.
std::string attribute_of(const std::filesystem::path& file, const std::string& attr) {
    const std::string out = h5dump("-a '" + attr + "'", file);
    std::smatch m;
    REQUIRE(std::regex_search(out, m, std::regex(R"(DATA \{\s*\n\s*(.*)\n)")));
    return m[1];
}

std::vector<double> read_doubles(const std::filesystem::path& file, const std::string& dataset) {
    h5::file f(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
    REQUIRE(f);
    h5::dataset d(H5Dopen2(f.get(), dataset.c_str(), H5P_DEFAULT));
    REQUIRE(d);
    h5::dataspace s(H5Dget_space(d.get()));
    std::vector<double> v(static_cast<size_t>(H5Sget_simple_extent_npoints(s.get())));
    REQUIRE(H5Dread(d.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) >= 0);
    return v;
}

}  // namespace

TEST_CASE("HDF5 holds one group per result in TimeSide's layout, read back by h5dump", "[results][hdf5]") {
    temp_dir dir;
    const auto path = dir / "r.h5";
    write_hdf5(path, sample_results());
    CHECK(entry_names(dir.path()) == std::vector<std::string>{"r.h5"});

    CHECK(attribute_of(path, "/level.max/data_mode") == "\"value\"");
    CHECK(attribute_of(path, "/level.max/time_mode") == "\"global\"");
    CHECK(attribute_of(path, "/aubio_silence/data_mode") == "\"label\"");
    CHECK(attribute_of(path, "/aubio_silence/time_mode") == "\"segment\"");
    CHECK(attribute_of(path, "/level.max/id_metadata/id") == "\"level.max\"");
    CHECK(attribute_of(path, "/level.max/id_metadata/unit") == "\"u\"");
    CHECK(attribute_of(path, "/level.max/audio_metadata/uri") == "\"file:///samples/x.wav\"");
    CHECK(attribute_of(path, "/level.max/audio_metadata/duration") == "10");
    CHECK(attribute_of(path, "/level.max/audio_metadata/channels") == "2");
    CHECK(attribute_of(path, "/level.max/audio_metadata/is_segment") == "FALSE");
    CHECK(attribute_of(path, "/level.max/parameters/blocksize") == "1024");
    CHECK(attribute_of(path, "/level.max/parameters/method") == "\"hfc\"");
    CHECK(attribute_of(path, "/level.max/parameters/flag") == "TRUE");
    CHECK(attribute_of(path, "/level.max/parameters/threshold") == "-70.5");
    CHECK(attribute_of(path, "/level.max/parameters/nested") == R"("{"a":[1,2]}")");  // h5dump does not escape
    CHECK(h5dump("-A -g /level.max/parameters", path).find("unset") == std::string::npos);  // None: not written

    CHECK(h5dump_values(path, "/level.max/data_object/value") == std::vector<double>{-3.5});
    CHECK(dataspace_of(path, "/level.max/data_object/value") == "( 1 ) / ( 1 )");
    CHECK(dataspace_of(path, "/level.max/data_object/y_value") == "( 0 ) / ( H5S_UNLIMITED )");

    CHECK(dataspace_of(path, "/spectrogram_analyzer/data_object/value") == "( 3, 4 ) / ( 3, 4 )");
    CHECK(h5dump_values(path, "/spectrogram_analyzer/data_object/value") ==
          std::vector<double>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
    CHECK(h5dump_values(path, "/spectrogram_analyzer/data_object/y_value") == std::vector<double>{0, 1000, 2000, 3000});
    CHECK(attribute_of(path, "/spectrogram_analyzer/data_object/frame_metadata/samplerate") == "8000");
    CHECK(attribute_of(path, "/spectrogram_analyzer/data_object/frame_metadata/blocksize") == "8");
    CHECK(attribute_of(path, "/spectrogram_analyzer/data_object/frame_metadata/stepsize") == "4");

    CHECK(h5dump_values(path, "/aubio_temporal.beat_confidence/data_object/time") == std::vector<double>{0.5, 1});
    CHECK(h5dump_values(path, "/aubio_temporal.bpm/data_object/duration") == std::vector<double>{0.5});

    CHECK(h5dump("-H -d /aubio_silence/data_object/label", path).find("H5T_STD_I64LE") != std::string::npos);
    CHECK(h5dump_values(path, "/aubio_silence/data_object/label") == std::vector<double>{0, 1});
    CHECK(h5dump_values(path, "/aubio_silence/data_object/duration") == std::vector<double>{1.25, 8.75});
    CHECK(attribute_of(path, "/aubio_silence/data_object/label_metadata/label/1") == "\"Not Silence\"");
    CHECK(attribute_of(path, "/aubio_silence/data_object/label_metadata/label_type") == "\"mono\"");
    CHECK(attribute_of(path, "/voice/data_object/label_metadata/description/1") == "\"voice\"");
    CHECK(attribute_of(path, "/genre/data_object/label_metadata/label/2") == R"("rock, "hard"")");
    CHECK(h5dump_values(path, "/voice/data_object/label") == std::vector<double>{0, 0, 1, 1, 0});

    // Each mode has exactly TimeSide's data_object members.
    const std::string tree = run_shell("h5ls -r '" + path.string() + "'").out;
    CHECK(tree.find("/level.max/data_object/time ") == std::string::npos);
    CHECK(tree.find("/aubio_temporal.onset/data_object/time ") != std::string::npos);
    CHECK(tree.find("/aubio_temporal.onset/data_object/duration ") == std::string::npos);
    CHECK(tree.find("/voice/data_object/frame_metadata ") != std::string::npos);
}

TEST_CASE("HDF5 framewise rows streamed from several threads grow chunked datasets", "[results][hdf5]") {
    temp_dir dir;
    const auto path = dir / "s.h5";
    auto spec = make_result("spectrogram_analyzer", data_mode::value, time_mode::framewise);
    spec.data.width = 513;
    spec.data.y_value.assign(513, 1.0);
    spec.frames = {44100, 1024, 512};
    auto odf = make_result("onset_detection_function", data_mode::value, time_mode::framewise);
    odf.frames = {44100, 1024, 512};
    constexpr size_t rows = 1500;  // several chunks and a partial last one
    {
        auto w = std::make_shared<hdf5_writer>(path);
        w->begin(spec);
        w->begin(odf);
        std::thread a([&] {
            std::vector<double> row(513);
            for (size_t i = 0; i < rows; ++i) {
                for (size_t k = 0; k < row.size(); ++k) row[k] = static_cast<double>(i * 1000 + k);
                w->append("spectrogram_analyzer", row);
            }
        });
        std::thread b([&] {
            for (size_t i = 0; i < rows; ++i) {
                const double v = 0.5 * static_cast<double>(i);
                w->append("onset_detection_function", std::span(&v, 1));
            }
        });
        a.join();
        b.join();
        CHECK(w->streamed_rows("spectrogram_analyzer") == rows);
        CHECK_FALSE(std::filesystem::exists(path));  // not before commit
        spec.appended_rows = odf.appended_rows = rows;  // the rows were not kept in memory
        spec.audio.duration = odf.audio.duration = 12.5;
        w->write(std::vector<analyzer_result>{spec, odf});
        w->commit();
    }
    CHECK(entry_names(dir.path()) == std::vector<std::string>{"s.h5"});
    CHECK(dataspace_of(path, "/spectrogram_analyzer/data_object/value") == "( 1500, 513 ) / ( H5S_UNLIMITED, 513 )");
    CHECK(dataspace_of(path, "/onset_detection_function/data_object/value") == "( 1500 ) / ( H5S_UNLIMITED )");
    CHECK(h5dump("-p -H -d /spectrogram_analyzer/data_object/value", path).find("CHUNKED") != std::string::npos);
    CHECK(attribute_of(path, "/spectrogram_analyzer/audio_metadata/duration") == "12.5");
    CHECK(attribute_of(path, "/onset_detection_function/data_object/frame_metadata/stepsize") == "512");

    const auto v = read_doubles(path, "/spectrogram_analyzer/data_object/value");
    REQUIRE(v.size() == rows * 513);
    bool in_order = true;
    for (size_t i = 0; i < rows; ++i)
        for (size_t k = 0; k < 513; ++k) in_order = in_order && v[i * 513 + k] == static_cast<double>(i * 1000 + k);
    CHECK(in_order);
    const auto o = read_doubles(path, "/onset_detection_function/data_object/value");
    REQUIRE(o.size() == rows);
    CHECK(o[1499] == 749.5);
    CHECK(read_doubles(path, "/spectrogram_analyzer/data_object/y_value").size() == 513);
}

TEST_CASE("HDF5 rows also kept in memory are written once; a begun stream absent at the end still completes",
          "[results][hdf5]") {
    temp_dir dir;
    const auto path = dir / "k.h5";
    auto kept = make_result("kept", data_mode::value, time_mode::framewise);
    kept.frames = {100, 10, 10};
    auto orphan = make_result("orphan", data_mode::value, time_mode::framewise);
    {
        hdf5_writer w(path);
        w.begin(kept);
        w.begin(orphan);
        for (double x : {1.0, 2.0, 3.0}) {
            w.append("kept", std::span(&x, 1));
            w.append("orphan", std::span(&x, 1));
            kept.data.value.push_back(x);
        }
        w.write(std::vector<analyzer_result>{kept});
        w.commit();
    }
    CHECK(h5dump_values(path, "/kept/data_object/value") == std::vector<double>{1, 2, 3});
    CHECK(h5dump_values(path, "/orphan/data_object/value") == std::vector<double>{1, 2, 3});
    CHECK(attribute_of(path, "/orphan/time_mode") == "\"framewise\"");
}

TEST_CASE("HDF5 output not committed leaves no file, temporary or final", "[results][hdf5]") {
    temp_dir dir;
    const auto path = dir / "a.h5";
    {
        hdf5_writer w(path);
        w.begin(make_result("x", data_mode::value, time_mode::framewise));
        const double v = 1;
        w.append("x", std::span(&v, 1));
        auto names = entry_names(dir.path());
        REQUIRE(names.size() == 1);
        CHECK(names[0].rfind(".a.h5.part-", 0) == 0);  // hidden, in the same directory
    }
    CHECK(entry_names(dir.path()).empty());

    hdf5_writer w(path);
    w.abort();
    CHECK(entry_names(dir.path()).empty());
}

TEST_CASE("HDF5 refuses two results with one id and rows of the wrong width", "[results][hdf5]") {
    temp_dir dir;
    hdf5_writer w(dir / "e.h5");
    auto r = make_result("spectrogram_analyzer", data_mode::value, time_mode::framewise);
    r.data.width = 4;
    w.begin(r);
    CHECK_THROWS_WITH(w.begin(r), Catch::Contains("two results have the id 'spectrogram_analyzer'"));
    const double row[3] = {1, 2, 3};
    CHECK_THROWS_WITH(w.append("spectrogram_analyzer", row), Catch::Contains("a row of 3 values"));
    auto a = make_result("level.max", data_mode::value, time_mode::global);
    CHECK_THROWS_AS(w.write(std::vector<analyzer_result>{a, a}), processing_error);

    // An output directory that does not exist: the error names the file.
    CHECK_THROWS_WITH(hdf5_writer(dir / "missing" / "x.h5"), Catch::Contains("missing/x.h5"));
}
