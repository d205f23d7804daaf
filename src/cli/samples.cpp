// `timeside samples DIR`: TimeSide's standard sample set, generated deterministically, each file
// through our own pipe (array_decoder | encoder).
#include <filesystem>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "core/encoder.hpp"
#include "core/errors.hpp"
#include "core/pipe.hpp"
#include "core/registry.hpp"
#include "decoders/array_decoder.hpp"
#include "decoders/signals.hpp"

namespace fs = std::filesystem;

namespace timeside::cli {

namespace {

void encode(const std::vector<float>& mono, int channels, int rate, const std::string& spec_id,
            const raw_parameters& params, const fs::path& out) {
    auto source = array_decoder::from_samples(signals::repeat_channels(mono, channels), rate, channels);
    auto enc = std::dynamic_pointer_cast<encoder>(get_processor(spec_id, params));
    enc->write_to(out);
    pipe p(source);
    p.add(enc);
    p.run();
}

}  // namespace

void add_samples(CLI::App& app, int& exit_code) {
    auto dir = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand("samples", "Write TimeSide's standard sample set into DIR");
    cmd->add_option("DIR", *dir, "output directory (created if missing)")->required();
    cmd->callback([dir, &exit_code] {
        const fs::path d(*dir);
        std::error_code ec;
        fs::create_directories(d, ec);
        if (ec) throw processing_error(fmt::format("cannot create {}: {}", d.string(), ec.message()));
        const raw_parameters f32 = {{"format", std::string("f32")}};
        const auto sweep = signals::log_sweep(20, 22050, 8, 44100);
        std::vector<fs::path> written;
        auto wav = [&](const std::vector<float>& mono, int ch, int rate, const char* name) {
            encode(mono, ch, rate, "wav_encoder", f32, d / name);
            written.push_back(d / name);
        };
        wav(sweep, 1, 44100, "sweep_mono.wav");
        wav(sweep, 2, 44100, "sweep.wav");
        wav(signals::log_sweep(20, 16000, 8, 32000), 2, 32000, "sweep_32000.wav");
        wav(signals::c4_scale(44100), 1, 44100, "C4_scale.wav");
        wav(signals::sine(440, 8, 44100), 1, 44100, "sine440Hz_mono.wav");
        wav(signals::white_noise(8, 44100), 1, 44100, "white_noise.wav");
        encode(sweep, 2, 44100, "vorbis_encoder", {}, d / "sweep.ogg");
        written.push_back(d / "sweep.ogg");
        encode(sweep, 2, 44100, "flac_encoder", {}, d / "sweep.flac");
        written.push_back(d / "sweep.flac");
        encode(sweep, 2, 44100, "mp3_encoder", {}, d / "sweep.mp3");
        written.push_back(d / "sweep.mp3");
        for (const auto& w : written) fmt::print("{}\n", w.string());
        exit_code = 0;
    });
}

}  // namespace timeside::cli
