// libFuzzer target: bytes read as a live stream definition (streams/{id}.toml), as GET
// /api/streams reads each file: read_stream_definition() must never throw (a bad file is an entry
// with an error naming the file) and its entry must serialize to JSON, whatever the file holds.
#include <nlohmann/json.hpp>

#include "fuzz/fuzz_support.hpp"
#include "server/streams.hpp"

using namespace timeside;

namespace {
std::filesystem::path file;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    file = fuzz::scratch_dir("stream") / "fuzz.toml";
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::write_file(file, std::string_view(reinterpret_cast<const char*>(data), size));
    nlohmann::json entry = server::read_stream_definition(file);
    if (entry.contains("error") == entry.contains("definition"))
        fuzz::fail("an entry needs exactly one of error and definition: " + fuzz::escaped(entry.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace)));
    if (entry.contains("error") && entry["error"].get<std::string>().find(file.string()) == std::string::npos)
        fuzz::fail("an error that does not name the file");
    try {
        (void)entry.dump();
    } catch (const nlohmann::json::exception& e) {
        fuzz::fail(std::string("a stream definition that JSON cannot carry: ") + e.what());
    }
    return 0;
}
