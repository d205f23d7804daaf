// Vamp output keys to processor ids: TimeSide's alphabet, and the library named only on a clash.
#include <catch2/catch.hpp>

#include <regex>

#include "analyzers/vamp/vamp_ids.hpp"

using namespace timeside::vamp;

TEST_CASE("vamp: key parts become lower case with one '_' for any run of other characters", "[vamp]") {
    CHECK(id_part("percussiononsets") == "percussiononsets");
    CHECK(id_part("vamp-example-plugins") == "vamp_example_plugins");
    CHECK(id_part("qm-Chromagram") == "qm_chromagram");
    CHECK(id_part("--a..b__c-") == "a_b_c");
}

TEST_CASE("vamp: ids are vamp_<plugin>_<output>, with the library where two would clash", "[vamp]") {
    const auto ids = processor_ids({{"vamp-example-plugins", "percussiononsets", "onsets"},
                                    {"qm-vamp-plugins", "qm-onsetdetector", "onsets"},
                                    {"lib-a", "tempo", "beats"},
                                    {"lib-b", "tempo", "beats"},
                                    {"lib-b", "Tempo", "BPM"}});
    REQUIRE(ids.size() == 5);
    CHECK(ids[0] == "vamp_percussiononsets_onsets");
    CHECK(ids[1] == "vamp_qm_onsetdetector_onsets");
    CHECK(ids[2] == "vamp_lib_a_tempo_beats");
    CHECK(ids[3] == "vamp_lib_b_tempo_beats");
    CHECK(ids[4] == "vamp_tempo_bpm");
    const std::regex alphabet("^[a-z][_a-z0-9]*$");
    for (const auto& id : ids) CHECK(std::regex_match(id, alphabet));
}
