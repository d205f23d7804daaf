// Audio formats and what a decoder tells its consumers about the stream it will deliver.
// Blocks are always interleaved float32; only the rate and the channel count vary.
#pragma once

#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <string>

namespace timeside {

struct audio_format {
    int samplerate = 0;
    int channels = 0;
    bool operator==(const audio_format&) const = default;
};

// What is known of the source itself (before any forced resampling or remixing).
struct media_info {
    std::string uri;
    std::string mime;           // from GStreamer's type finder: audio/x-wav, audio/x-flac, ...
    double duration = -1;       // seconds, -1 when unknown (live or unseekable streams)
    int samplerate = 0;
    int channels = 0;
    std::map<std::string, std::string> tags;  // title, artist, album ... when present
    // The sha1 of the source file, computed beside the decode; get() waits for it.
    std::shared_future<std::string> sha1;

    std::string sha1_hex() const { return sha1.valid() ? sha1.get() : std::string{}; }
};

// The stream a consumer receives: its format, its extent and where it comes from.
struct stream_info {
    audio_format format;
    int64_t total_frames = -1;  // -1 when unknown (a live stream, an http source without length)
    int blocksize = 0;          // every block but the last has exactly this many frames
    double start = 0;           // seconds into the source where the stream begins
    bool is_segment = false;    // start/duration were asked for
    std::shared_ptr<const media_info> media;

    double duration() const {
        return total_frames < 0 || format.samplerate == 0
                   ? -1.0
                   : static_cast<double>(total_frames) / format.samplerate;
    }
};

}  // namespace timeside
