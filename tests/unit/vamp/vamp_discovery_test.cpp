// Vamp plugin discovery: the folders searched and their order, library keys, broken libraries
// skipped with their path, and Debian's installed example plugins found in the multiarch folder.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "analyzers/vamp/vamp_catalog.hpp"
#include "analyzers/vamp/vamp_library.hpp"
#include "../test_support.hpp"

using namespace timeside;
using namespace timeside::vamp;

TEST_CASE("vamp: folders are VAMP_PATH's, then Vamp's defaults, then Debian's multiarch one", "[vamp]") {
    const auto f = plugin_folders("/a:/b::/a", "/home/u");
    REQUIRE(f.size() >= 6);
    CHECK(f[0] == "/a");
    CHECK(f[1] == "/b");  // empty entries and duplicates dropped
    CHECK(f[2] == "/home/u/vamp");
    CHECK(f[3] == "/home/u/.vamp");
    CHECK(f[4] == "/usr/local/lib/vamp");
    CHECK(f[5] == "/usr/lib/vamp");
#if defined(__x86_64__)
    REQUIRE(f.size() == 7);
    CHECK(f[6] == "/usr/lib/x86_64-linux-gnu/vamp");
#endif
    const auto none = plugin_folders(nullptr, nullptr);
    CHECK(none.front() == "/usr/local/lib/vamp");
}

TEST_CASE("vamp: a library's key is its lower-case file name without extension", "[vamp]") {
    CHECK(library_key("/usr/lib/vamp/vamp-rubberband.so") == "vamp-rubberband");
    CHECK(library_key("/x/QM-Vamp-Plugins.so") == "qm-vamp-plugins");
}

TEST_CASE("vamp: a file that is not a Vamp library is skipped with its path and the cause", "[vamp]") {
    test::temp_dir dir;
    const auto broken = (dir.path() / "broken.so").string();
    std::ofstream(broken) << "not a shared library";
    std::vector<std::pair<std::string, std::string>> skipped;
    auto libs = load_libraries({dir.path().string()},
                               [&](const std::string& what, const std::string& why) { skipped.emplace_back(what, why); });
    CHECK(libs.empty());
    REQUIRE(skipped.size() == 1);
    CHECK(skipped[0].first == broken);
    CHECK(skipped[0].second.find("cannot open") != std::string::npos);
}

TEST_CASE("vamp: a shared library without vampGetPluginDescriptor is skipped", "[vamp]") {
    test::temp_dir dir;
    // Any real shared library that is not a Vamp plugin: libvamp-hostsdk itself.
    const std::filesystem::path hostsdk = "/usr/lib/x86_64-linux-gnu/libvamp-hostsdk.so";
    REQUIRE(std::filesystem::exists(hostsdk));  // vamp-plugin-sdk (DEBIAN_PACKAGES)
    std::filesystem::copy_file(hostsdk, dir.path() / "hostsdk.so");
    std::vector<std::string> reasons;
    auto libs = load_libraries({dir.path().string()}, [&](const std::string&, const std::string& why) { reasons.push_back(why); });
    CHECK(libs.empty());
    REQUIRE(reasons.size() == 1);
    CHECK(reasons[0].find("vampGetPluginDescriptor") != std::string::npos);
}

TEST_CASE("vamp: Debian's example plugins are found and every output becomes an analyzer", "[vamp]") {
    const std::string folder = "/usr/lib/x86_64-linux-gnu/vamp";
    REQUIRE(std::filesystem::exists(folder + "/vamp-example-plugins.so"));  // vamp-examples (DEBIAN_PACKAGES)
    std::vector<std::string> skipped;
    auto entries = describe_outputs(load_libraries({folder}, [&](auto& w, auto&) { skipped.push_back(w); }),
                                    [&](auto& w, auto&) { skipped.push_back(w); });
    CHECK(skipped.empty());
    std::map<std::string, const output_entry*> by_id;
    for (const auto& e : entries) by_id[e.info.id] = &e;
    for (const char* id : {"vamp_zerocrossing_counts", "vamp_zerocrossing_zerocrossings",
                           "vamp_spectralcentroid_linearcentroid", "vamp_spectralcentroid_logcentroid",
                           "vamp_percussiononsets_onsets", "vamp_percussiononsets_detectionfunction",
                           "vamp_amplitudefollower_amplitude", "vamp_powerspectrum_powerspectrum",
                           "vamp_fixedtempo_tempo", "vamp_fixedtempo_candidates", "vamp_fixedtempo_detectionfunction",
                           "vamp_fixedtempo_acf", "vamp_fixedtempo_filtered_acf"}) {
        CAPTURE(id);
        REQUIRE(by_id.count(id) == 1);
        CHECK(by_id[id]->info.kind == processor_kind::analyzer);
    }
    const auto& onsets = *by_id["vamp_percussiononsets_onsets"];
    CHECK(onsets.key() == "vamp-example-plugins:percussiononsets:onsets");
    CHECK(onsets.info.name == "Simple Percussion Onset Detector: Onsets");
    CHECK(onsets.info.version == "2");
}
