// file_decoder: any file or http(s) URI GStreamer decodes, delivered as blocks of interleaved
// float32 at the source's rate and channels (or forced ones), optionally a [start, start +
// duration) segment cut to the exact frame. The source's sha1 is computed beside the decode.
// An MP3's encoder delay and padding (its LAME tag) are trimmed: it decodes to its source's frames.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/decoder.hpp"
#include "decoders/gst_audio_source.hpp"

namespace timeside {

// What a decode repaired in its input, said once per decode (at its end, or when it stops): the
// non-finite samples blocks replaced (NaN by 0, +-Inf by +-1.0). By default a line on stderr.
struct decode_warning {
    std::string input;  // as the decoder was given it
    int64_t non_finite = 0;
};
void set_decode_warning_sink(std::function<void(const decode_warning&)> sink);

class file_decoder : public decoder {
public:
    static const processor_info& describe();
    explicit file_decoder(parameter_set params);
    ~file_decoder() override;

    stream_info open() override;
    block_ptr read() override;
    void cancel() noexcept override;
    void close() noexcept override;

    // Probes the input without decoding it (TimeSide's media info): uri, duration, rate, ...
    // Throws cancelled_error once `stop` becomes true (while prerolling or hashing).
    static media_info probe(const std::string& input, const std::atomic<bool>* stop = nullptr);

private:
    bool pull_more();
    void apply_source_length();
    void say_repairs() noexcept;

    std::mutex source_mutex_;  // cancel() may come from another thread while open() builds source_
    std::atomic<bool> cancelled_{false};

    std::unique_ptr<gst_audio_source> source_;
    std::shared_ptr<std::atomic<bool>> stop_hash_;
    stream_info stream_;
    std::vector<float> pending_;  // decoded frames not yet handed out
    int64_t next_source_frame_ = -1;  // source-absolute frame of the next decoded frame
    int64_t start_frame_ = 0;
    int64_t lead_ = 0;  // frames the source decodes before its first real one (an MP3's delay)
    int64_t non_finite_ = 0;  // samples replaced in this decode
    int64_t requested_ = -1;  // frames the segment asked for; -1: to the end
    int64_t limit_ = -1;      // frames to deliver at most; -1: until the source ends
    int64_t accepted_ = 0;    // frames delivered or pending so far
    bool exact_length_ = false;
    unsigned length_version_ = 0;
    int64_t position_ = 0;
    bool eos_ = false;
};

}  // namespace timeside
