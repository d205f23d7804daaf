// file_decoder: any file or http(s) URI GStreamer decodes, delivered as blocks of interleaved
// float32 at the source's rate and channels (or forced ones), optionally a [start, start +
// duration) segment cut to the exact frame. The source's sha1 is computed beside the decode.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <vector>

#include "core/decoder.hpp"
#include "decoders/gst_audio_source.hpp"

namespace timeside {

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
    static media_info probe(const std::string& input);

private:
    bool pull_more();
    void apply_source_length();

    std::unique_ptr<gst_audio_source> source_;
    std::shared_ptr<std::atomic<bool>> stop_hash_;
    stream_info stream_;
    std::vector<float> pending_;  // decoded frames not yet handed out
    int64_t next_source_frame_ = -1;  // source-absolute frame of the next decoded frame
    int64_t start_frame_ = 0;
    int64_t requested_ = -1;  // frames the segment asked for; -1: to the end
    int64_t limit_ = -1;      // frames to deliver at most; -1: until the source ends
    int64_t accepted_ = 0;    // frames delivered or pending so far
    bool exact_length_ = false;
    unsigned length_version_ = 0;
    int64_t position_ = 0;
    bool eos_ = false;
};

}  // namespace timeside
