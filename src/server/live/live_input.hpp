// What a live mount reads its audio from: a looped file, a playlist, a signal, an HTTP stream we
// pull, a source client pushing to us. Every input delivers interleaved float32 already converted
// to the mount's rate and channels; the mount's clock (live_source) decides when to read.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/format.hpp"

namespace timeside::server::live {

class live_input {
public:
    enum class status {
        data,     // frames were appended to `out`
        waiting,  // nothing within `wait`: the input is late (the mount fills from its fallback)
        ended,    // the input is over for good (a source disconnected, a file that does not loop)
        failed,   // unusable (bytes that do not decode, an unreachable URL): error() says why
    };
    virtual ~live_input() = default;

    // Starts decoding (or connecting) towards `format`; returns soon: a slow start shows as
    // `waiting`. Throws usage_error/processing_error naming the input when it cannot start at all.
    virtual void start(audio_format format) = 0;
    // Appends at most `max_frames` frames to `out`; waits at most `wait` for them. Thread: the
    // mount's clock thread only.
    virtual status read(std::vector<float>& out, int64_t max_frames, std::chrono::milliseconds wait) = 0;
    // After `failed`: the input and the cause ("http://x/y: connection refused").
    virtual std::string error() const = 0;
    // A title the input carries that changed since the last call (ICY StreamTitle, Vorbis/Opus
    // comments, ID3, a playlist file's tags: "Artist - Title"); empty when unchanged.
    virtual std::optional<std::string> take_title() { return std::nullopt; }
    // What it is, for status and logs ("file samples/sweep.wav (looped)").
    virtual std::string describe() const = 0;
    // Any thread; read() returns soon after, and nothing runs after stop() returns.
    virtual void stop() noexcept = 0;
};

}  // namespace timeside::server::live
