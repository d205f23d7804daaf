// One piece of a live output's encoded stream, made once by the output's encoder and shared,
// immutable, by every listener of that output (DESIGN.md, "Hub"), and where an encoder's chunks go.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

namespace timeside::server::live {

struct live_chunk {
    std::vector<unsigned char> bytes;
    // Codec headers (Ogg's first pages with OpusHead/OpusTags or Vorbis' three headers, FLAC's
    // "fLaC" and metadata blocks): every listener gets them first, whenever it joins.
    bool header = false;
    // A decoder can start here: the chunk begins with an Ogg page, an MP3 frame, a FLAC frame.
    // A joining listener's burst starts at the first such chunk within its `burst` seconds.
    bool sync = false;
    // The stream frame (mount time, frames from the mount's start) up to which the audio in this
    // chunk was encoded: what burst, queue and lag are measured in.
    int64_t end_frame = 0;
    // For a sync chunk: the stream frame of the first sample a decoder starting here gives, the
    // codec's delays counted (codec_clock.hpp); -1 when unknown.
    int64_t audio_frame = -1;
};
using chunk_ptr = std::shared_ptr<const live_chunk>;

// Where an output's chunks go (the output's hub). publish() is called on the encoder's lane thread.
class chunk_target {
public:
    virtual ~chunk_target() = default;
    virtual void publish(chunk_ptr chunk) = 0;
};

}  // namespace timeside::server::live
