// `timeside info INPUT`: what the input is, as JSON (uri, duration, samplerate, channels, mime,
// sha1, tags), from a preroll of the decoder: nothing is decoded beyond the first buffers.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/interrupt.hpp"
#include "core/errors.hpp"
#include "decoders/file_decoder.hpp"

namespace timeside::cli {

void add_info(CLI::App& app, int& exit_code) {
    auto* cmd = app.add_subcommand("info", "Describe an input as JSON");
    auto input = std::make_shared<std::string>();
    cmd->add_option("INPUT", *input, "a path, file:// or http(s):// URI")->required();
    cmd->callback([input, &exit_code] {
        media_info m;
        try {
            m = file_decoder::probe(*input, &interrupt_flag());  // SIGTERM stops the hash of a huge file
        } catch (const cancelled_error&) {
            fmt::print(stderr, "timeside: {}: interrupted by signal {}\n", *input, interrupt_signal());
            exit_code = 128 + interrupt_signal();
            return;
        }
        nlohmann::json j = {{"uri", m.uri},
                            {"duration", m.duration >= 0 ? nlohmann::json(m.duration) : nlohmann::json(nullptr)},
                            {"samplerate", m.samplerate},
                            {"channels", m.channels},
                            {"mime", m.mime},
                            {"sha1", m.sha1_hex()}};
        if (!m.tags.empty()) j["tags"] = m.tags;
        fmt::print("{}\n", j.dump(2));
        exit_code = 0;
    });
}

}  // namespace timeside::cli
