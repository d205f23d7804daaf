// output_sink: the byte_sink a live output's encoder writes to. Each write becomes one immutable
// live_chunk published to the output's chunk_target (its hub): codec headers flagged, `sync` set
// where a decoder can start (our encoders hand over one Ogg page, whole MP3 frames or one FLAC
// frame per write: checked on the bytes, not assumed), stamped with the stream frame up to which
// the audio was given to the encoder, and (sync chunks) with the frame their decoded audio starts at.
#pragma once

#include <atomic>
#include <memory>
#include <span>
#include <string>

#include "core/byte_sink.hpp"
#include "server/live/chunk.hpp"
#include "server/live/codec_clock.hpp"

namespace timeside::server::live {

// Whether `bytes` start where a decoder of `format` (mp3, ogg, opus, flac) can start.
bool starts_on_boundary(const std::string& format, std::span<const unsigned char> bytes);

class output_sink : public byte_sink {
public:
    // `mount_rate`: the stream's rate, the unit of each sync chunk's audio_frame (0: not stamped).
    output_sink(std::shared_ptr<chunk_target> target, std::string format, int mount_rate = 0);

    void write(std::span<const unsigned char> chunk, bool is_header) override;
    bool is_live() const override { return true; }
    // The encoder's lane, before each block: the frame its chunks are stamped with.
    void set_end_frame(int64_t frame) { end_frame_ = frame; }

    int64_t chunks() const { return chunks_.load(); }
    int64_t bytes() const { return bytes_.load(); }

private:
    std::shared_ptr<chunk_target> target_;
    std::string format_;
    int64_t end_frame_ = 0;
    codec_clock clock_;
    bool timed_;
    std::atomic<int64_t> chunks_{0}, bytes_{0};
};

}  // namespace timeside::server::live
