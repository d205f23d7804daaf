// Presets: loaded and validated up front, resolved wherever a SPEC is accepted; every mistake in
// a preset file is reported with the file and the key (or line) at fault.
#include <catch2/catch.hpp>

#include <fstream>

#include "../test_support.hpp"
#include "core/errors.hpp"
#include "core/presets.hpp"

using namespace timeside;

namespace {
void write(const std::filesystem::path& p, const std::string& text) { std::ofstream(p) << text; }

std::string load_error(const test::temp_dir& dir) {
    try {
        preset_library::load(dir.path());
    } catch (const usage_error& e) {
        return e.what();
    }
    return "";
}
}  // namespace

TEST_CASE("a preset resolves to its processor and parameters, overridable by the spec", "[core][presets]") {
    test::temp_dir dir;
    write(dir / "wav-24.toml", "description = \"WAV 24\"\nprocessor = \"wav_encoder\"\n[parameters]\nformat = \"s24\"\n");
    auto lib = preset_library::load(dir.path());
    REQUIRE(lib.find("wav-24"));
    CHECK(lib.find("wav-24")->description == "WAV 24");
    auto spec = lib.resolve(parse_spec("wav-24"));
    CHECK(spec.id == "wav_encoder");
    REQUIRE(spec.parameters.size() == 1);
    CHECK(std::get<std::string>(spec.parameters[0].second) == "s24");
    auto overridden = lib.resolve(parse_spec("wav-24:format=f32"));
    CHECK(std::get<std::string>(overridden.parameters.back().second) == "f32");
    CHECK(lib.resolve(parse_spec("level")).id == "level");  // processor ids pass through
}

TEST_CASE("an unknown spec lists the valid processors and presets", "[core][presets]") {
    test::temp_dir dir;
    write(dir / "wav-24.toml", "processor = \"wav_encoder\"\n");
    auto lib = preset_library::load(dir.path());
    CHECK_THROWS_WITH(lib.resolve(parse_spec("opus-7k")),
                      Catch::Contains("unknown processor or preset 'opus-7k'") && Catch::Contains("wav_encoder") &&
                          Catch::Contains("presets: wav-24") && !Catch::Contains("file_decoder"));
}

TEST_CASE("preset mistakes name the file and the key", "[core][presets]") {
    SECTION("unknown processor") {
        test::temp_dir dir;
        write(dir / "x.toml", "processor = \"opus_encodr\"\n");
        CHECK_THAT(load_error(dir), Catch::Contains("x.toml: processor 'opus_encodr' is not a known processor"));
    }
    SECTION("bad value") {
        test::temp_dir dir;
        write(dir / "wav-bad.toml", "processor = \"wav_encoder\"\n[parameters]\nformat = \"s20\"\n");
        CHECK_THAT(load_error(dir), Catch::Contains("wav-bad.toml [parameters]: wav_encoder: invalid value format=s20"));
    }
    SECTION("unknown parameter") {
        test::temp_dir dir;
        write(dir / "v.toml", "processor = \"vorbis_encoder\"\n[parameters]\nbitrate = 128\n");
        CHECK_THAT(load_error(dir), Catch::Contains("v.toml [parameters]: vorbis_encoder: unknown parameter 'bitrate'"));
    }
    SECTION("syntax error, with its line") {
        test::temp_dir dir;
        write(dir / "broken.toml", "processor = \"wav_encoder\"\n[parameters\n");
        CHECK_THAT(load_error(dir), Catch::StartsWith((dir / "broken.toml").string() + ":2:"));
    }
    SECTION("unexpected key") {
        test::temp_dir dir;
        write(dir / "k.toml", "processor = \"wav_encoder\"\nbitrate = 3\n");
        CHECK_THAT(load_error(dir), Catch::Contains("k.toml: unexpected key 'bitrate'"));
    }
    SECTION("missing processor") {
        test::temp_dir dir;
        write(dir / "m.toml", "description = \"nothing\"\n");
        CHECK_THAT(load_error(dir), Catch::Contains("m.toml: missing key 'processor'"));
    }
    SECTION("a preset named like a processor") {
        test::temp_dir dir;
        write(dir / "level.toml", "processor = \"wav_encoder\"\n");
        CHECK_THAT(load_error(dir), Catch::Contains("cannot take the name of processor 'level'"));
    }
}

TEST_CASE("a missing presets folder is an empty library", "[core][presets]") {
    CHECK(preset_library::load("/nonexistent/presets").all().empty());
}
