// Gapless MP3: the encoder delay and end padding an MP3's Xing/LAME ("Info") frame declares, so
// that the decoder can trim them as ffmpeg does. GStreamer 1.22's mpegaudioparse reads this tag
// and mpg123audiodec trims it (GstAudioClippingMeta) only when its encoder string starts with
// "LAME": it misses ffmpeg's ("Lavc59.37"), which file_decoder then trims itself.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>

namespace timeside {

struct mp3_gapless {
    int samplerate = 0;
    int64_t lead = 0;    // frames of decoded output before the first real one (delay + decoder delay)
    int64_t frames = 0;  // real frames, once lead and end padding are taken away
    bool gstreamer_trims = false;  // a "LAME..." encoder string: GStreamer trims it itself
};

// Every layer III decoder's own delay (the filterbank's), in frames: mpg123 and libavcodec alike.
constexpr int64_t mp3_decoder_delay = 529;

// From the first bytes of an MP3 file (an ID3v2 tag, then the first frame). Nothing when the file
// has no Xing/Info frame with a frame count and a LAME extension written by LAME or ffmpeg.
std::optional<mp3_gapless> parse_mp3_gapless(std::span<const unsigned char> head);
// Reads the head of `path` (at most the ID3v2 tag plus a frame) and parses it.
std::optional<mp3_gapless> read_mp3_gapless(const std::filesystem::path& path);

}  // namespace timeside
