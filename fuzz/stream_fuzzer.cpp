// libFuzzer target: bytes read as a live stream definition (streams/{id}.toml) by the parser the
// mounts and GET /api/streams use: parse_stream_definition() either gives a definition whose JSON
// serializes, or throws a usage_error naming the file, whatever the file holds; nothing else.
#include <nlohmann/json.hpp>

#include "core/errors.hpp"
#include "core/presets.hpp"
#include "fuzz/fuzz_support.hpp"
#include "server/live/stream_definition.hpp"

using namespace timeside;

namespace {
std::filesystem::path file;
const preset_library* presets = nullptr;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    file = fuzz::scratch_dir("stream") / "fuzz.toml";
    static const preset_library lib = preset_library::load(std::filesystem::path(TIMESIDE_SOURCE_ROOT) / "presets");
    presets = &lib;
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const auto def = server::live::parse_stream_definition(text, file, *presets);
        if (def.outputs.empty()) fuzz::fail("a definition accepted without outputs");
        (void)server::live::to_json(def).dump();
    } catch (const usage_error& e) {
        if (std::string(e.what()).find(file.string()) == std::string::npos)
            fuzz::fail("an error that does not name the file: " + fuzz::escaped(e.what()));
    } catch (const nlohmann::json::exception& e) {
        fuzz::fail(std::string("a stream definition that JSON cannot carry: ") + e.what());
    } catch (const std::exception& e) {
        fuzz::fail(std::string("not a usage_error: ") + fuzz::escaped(e.what()));
    }
    return 0;
}
