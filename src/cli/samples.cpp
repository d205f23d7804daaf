// `timeside samples DIR`: TimeSide's standard sample set, generated deterministically. WAVs and
// the Ogg go through our own pipe (array_decoder | encoder); FLAC and MP3 are made by
// GStreamer's flacenc and lamemp3enc until the project's own FLAC and MP3 encoders exist.
#include <filesystem>

#include <fmt/format.h>
#include <unistd.h>

#include "cli/commands.hpp"
#include "core/encoder.hpp"
#include "core/errors.hpp"
#include "core/gst_handles.hpp"
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

// Transcodes a WAV with a GStreamer encoder chain, to a temporary name renamed when complete.
void gst_encode(const fs::path& wav, const fs::path& out, const std::string& chain) {
    ensure_gstreamer();
    const fs::path temp = out.parent_path() / fmt::format(".{}.part-{}", out.filename().string(), getpid());
    GError* raw = nullptr;
    gst_pipeline_ptr pl(gst_parse_launch(
        fmt::format("filesrc name=in ! wavparse ! audioconvert ! {} ! filesink name=out", chain).c_str(), &raw));
    g_error_ptr err(raw);
    if (!pl || err)
        throw processing_error(fmt::format("{}: GStreamer cannot build '{}': {}", out.string(), chain,
                                           err ? err->message : "unknown error"));
    gst_ptr<GstElement> in(gst_bin_get_by_name(GST_BIN(pl.get()), "in"));
    gst_ptr<GstElement> sink(gst_bin_get_by_name(GST_BIN(pl.get()), "out"));
    g_object_set(in.get(), "location", wav.c_str(), nullptr);
    g_object_set(sink.get(), "location", temp.c_str(), nullptr);
    gst_element_set_state(pl.get(), GST_STATE_PLAYING);
    gst_ptr<GstBus> bus(gst_element_get_bus(pl.get()));
    gst_message_ptr msg(gst_bus_timed_pop_filtered(bus.get(), 120 * GST_SECOND,
                                                   static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR)));
    gst_element_set_state(pl.get(), GST_STATE_NULL);
    if (!msg || GST_MESSAGE_TYPE(msg.get()) != GST_MESSAGE_EOS) {
        std::string why = "timed out";
        if (msg) {
            GError* e = nullptr;
            gst_message_parse_error(msg.get(), &e, nullptr);
            g_error_ptr owned(e);
            why = e ? e->message : "error";
        }
        std::error_code ec;
        fs::remove(temp, ec);
        throw processing_error(fmt::format("{}: {}", out.string(), why));
    }
    fs::rename(temp, out);
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
        gst_encode(d / "sweep.wav", d / "sweep.flac", "flacenc");
        written.push_back(d / "sweep.flac");
        gst_encode(d / "sweep.wav", d / "sweep.mp3", "lamemp3enc target=bitrate bitrate=192 cbr=true ! xingmux ! id3v2mux");
        written.push_back(d / "sweep.mp3");
        for (const auto& w : written) fmt::print("{}\n", w.string());
        exit_code = 0;
    });
}

}  // namespace timeside::cli
