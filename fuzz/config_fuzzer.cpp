// libFuzzer target: bytes read as the server's TOML config (server/config: parse_config). A bad
// file must be a usage_error (the CLI's exit status 2 with the file, key and cause); nothing else
// may escape. A config it accepts must be usable: its strings go into JSON and logs as they are
// (the status page, the "listening" line), so each must serialize.
#include <nlohmann/json.hpp>

#include "core/errors.hpp"
#include "fuzz/fuzz_support.hpp"
#include "server/config.hpp"

using namespace timeside;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    server::server_config c;
    try {
        c = server::parse_config(text, "fuzz.toml", "/srv/timeside");
    } catch (const usage_error& e) {
        if (std::string_view(e.what()).find("fuzz.toml") == std::string_view::npos)
            fuzz::fail(std::string("a refusal that does not name the file: ") + e.what());
        return 0;
    }
    nlohmann::json strings{{"listen", c.listen.to_string()},
                           {"web", c.web_dir.string()},
                           {"presets", c.presets_dir.string()},
                           {"cache", c.cache_dir.string()},
                           {"streams", c.streams_dir.string()}};
    for (const auto& f : c.media_folders) strings["media"].push_back(f.string());
    try {
        (void)strings.dump();
    } catch (const nlohmann::json::exception& e) {
        fuzz::fail(std::string("an accepted config holds a string that JSON cannot carry: ") + e.what());
    }
    return 0;
}
