// The plugin loader against fixture libraries built beside unit_tests (plugin_fixtures/): what is
// registered, with which origin, and that a refused library leaves nothing of itself behind.
#include <catch2/catch.hpp>

#include <map>

#include "core/analyzer.hpp"
#include "core/block.hpp"
#include "core/plugin_loader.hpp"
#include "core/registry.hpp"
#include "../test_support.hpp"

namespace fs = std::filesystem;
using namespace timeside;

namespace {

// The fixtures' build folder: unit_tests is build/tests/unit_tests, they are in build/tests/unit/core.
fs::path fixture(const std::string& name) {
    return fs::read_symlink("/proc/self/exe").parent_path() / "unit" / "core" / (name + ".so");
}

// A folder holding copies of the named fixtures.
struct plugin_folder {
    test::temp_dir dir;
    explicit plugin_folder(std::initializer_list<std::string> names) {
        for (const auto& n : names) fs::copy_file(fixture(n), dir / (n + ".so"));
    }
    fs::path file(const std::string& name) const { return dir / (name + ".so"); }
};

struct loaded {
    registry reg;
    std::vector<fs::path> files;
    std::map<std::string, std::string> skipped;  // file name -> cause
    explicit loaded(const std::vector<fs::path>& folders) {
        files = load_plugins(reg, folders, [this](const fs::path& f, const std::string& why) {
            skipped[f.filename().string()] = why;
        });
    }
};

}  // namespace

TEST_CASE("a plugin's processors are registered with its file as origin, and run", "[core][plugins]") {
    plugin_folder folder{"good"};
    loaded l({folder.dir.path()});
    CHECK(l.skipped.empty());
    REQUIRE(l.files == std::vector<fs::path>{folder.file("good")});
    REQUIRE(l.reg.find("fixture_first"));
    REQUIRE(l.reg.find("fixture_second"));
    CHECK(l.reg.origin("fixture_first").from == processor_origin::kind::plugin);
    CHECK(l.reg.origin("fixture_first").file == folder.file("good").string());
    CHECK(l.reg.origin("fixture_first").suffix() == " [plugin " + folder.file("good").string() + "]");

    // Its declared parameter goes through the one validator, then the plugin's code runs.
    CHECK_THROWS_WITH(l.reg.make("fixture_first", {{"scale", std::string("11")}}),
                      Catch::Contains("scale") && Catch::Contains("from 1 to 10"));
    auto a = std::dynamic_pointer_cast<analyzer>(l.reg.make("fixture_first", {{"scale", std::string("3")}}));
    REQUIRE(a);
    const audio_format format{44100, 2};
    stream_info in;
    in.format = format;
    a->setup(in);
    a->process(block::make(format, 0, std::vector<float>(2 * 1000, 0.25f)));
    a->process(block::make(format, 1000, std::vector<float>(2 * 234, 0.25f)));
    a->finish();
    CHECK(a->result("fixture_first").data.value == std::vector<double>{3.0 * 1234});
}

TEST_CASE("a plugin that throws while registering leaves nothing registered", "[core][plugins]") {
    plugin_folder folder{"throws", "good"};
    loaded l({folder.dir.path()});
    CHECK(l.skipped == std::map<std::string, std::string>{{"throws.so", "its registration threw: its licence file is missing"}});
    CHECK_FALSE(l.reg.find("fixture_half"));
    CHECK(l.reg.find("fixture_first"));
    CHECK(l.files == std::vector<fs::path>{folder.file("good")});
}

TEST_CASE("a plugin with a taken id is refused whole, naming the earlier plugin", "[core][plugins]") {
    plugin_folder folder{"good", "taken"};  // good.so is loaded first (name order)
    loaded l({folder.dir.path()});
    CHECK(l.skipped == std::map<std::string, std::string>{
                           {"taken.so", "processor id 'fixture_first' is already taken (by plugin " +
                                            folder.file("good").string() + ")"}});
    CHECK_FALSE(l.reg.find("fixture_free"));
    CHECK(l.reg.origin("fixture_first").file == folder.file("good").string());
}

TEST_CASE("a built-in processor keeps its id", "[core][plugins]") {
    plugin_folder folder{"good"};
    registry reg;
    reg.add(processor_info{"fixture_first", "built-in", "1", "", "", processor_kind::analyzer, {}},
            [](parameter_set) -> std::shared_ptr<processor> { return nullptr; });
    std::string why;
    load_plugins(reg, {folder.dir.path()}, [&](const fs::path&, const std::string& w) { why = w; });
    CHECK(why == "processor id 'fixture_first' is already taken (by a built-in processor)");
    CHECK_FALSE(reg.find("fixture_second"));
    CHECK(reg.origin("fixture_first").from == processor_origin::kind::builtin);
}

TEST_CASE("a plugin built against other headers is refused before it runs", "[core][plugins]") {
    plugin_folder folder{"other_layout"};
    loaded l({folder.dir.path()});
    REQUIRE(l.skipped.count("other_layout.so"));
    CHECK_THAT(l.skipped["other_layout.so"], Catch::StartsWith("its sizeof(processor_info) is ") &&
                                                 Catch::Contains("rebuild it against this installation's headers"));
    CHECK_FALSE(l.reg.find("fixture_layout"));
}

TEST_CASE("a file reached twice loads once; a folder that is missing is no error", "[core][plugins]") {
    plugin_folder folder{"good"};
    test::temp_dir other;
    fs::create_directory_symlink(folder.dir.path(), other / "link");
    loaded l({folder.dir.path(), other / "link", other / "missing", folder.dir.path()});
    CHECK(l.skipped.empty());
    CHECK(l.files.size() == 1);
}

TEST_CASE("plugin folders: the variable's, then the configured, then the installed ones", "[core][plugins]") {
    const auto folders = plugin_folders("/a/p1:/a/p2::/a/p1/", {"/etc/x/plugins", "/a/p2"});
    REQUIRE(folders.size() >= 4);
    CHECK(std::vector<fs::path>(folders.begin(), folders.begin() + 3) ==
          std::vector<fs::path>{"/a/p1", "/a/p2", "/etc/x/plugins"});
    CHECK(folders.back().string().ends_with("timeside/plugins"));
    CHECK(plugin_folders(nullptr, {}).back() == folders.back());
}
