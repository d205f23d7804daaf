// Helpers of the stream-definition tests: the shipped presets, a definition parsed from its text,
// and the message a bad one gets (the usage_error's text, or "no error").
#pragma once

#include <filesystem>
#include <string>

#include "core/errors.hpp"
#include "core/presets.hpp"
#include "server/live/stream_definition.hpp"

namespace timeside::test {

inline const preset_library& shipped_presets() {
    static const preset_library lib = preset_library::load(std::filesystem::path(TIMESIDE_SOURCE_ROOT) / "presets");
    return lib;
}

inline server::live::stream_definition parse_definition(const std::string& text,
                                                        const std::string& file = "streams/radio.toml") {
    return server::live::parse_stream_definition(text, file, shipped_presets());
}

inline std::string definition_error(const std::string& text, const std::string& file = "streams/radio.toml") {
    try {
        parse_definition(text, file);
    } catch (const usage_error& e) {
        return e.what();
    }
    return "no error";
}

// The smallest valid definition: a signal input and one MP3 output.
inline const std::string minimal_definition = "[input]\nkind = \"signal\"\n[[outputs]]\nformat = \"mp3\"\n";

}  // namespace timeside::test
