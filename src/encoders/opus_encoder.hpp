// opus_encoder: Ogg Opus through libopus (unconstrained VBR; any input rate, resampled to 48 kHz by
// rate_converter) and ogg_writer. Each Ogg page reaches the byte
// sink as one chunk, the OpusHead/OpusTags pages flagged as headers; the last granule position is
// pre-skip + the input's length at 48 kHz, so decoders trim exactly. Its state is libopus's, the
// resampler's history and a packet's worth of audio (some 150 kB for stereo at 44.1 kHz with
// 120 ms packets): a live server runs one per Opus mount.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/encoder.hpp"

namespace timeside {

struct opus_session;
class ogg_writer;

class opus_encoder : public encoder {
public:
    static const processor_info& describe();
    explicit opus_encoder(parameter_set params);
    ~opus_encoder() override;

    std::string extension() const override { return "opus"; }
    std::string mime_type() const override { return "audio/ogg"; }

protected:
    void on_setup(const stream_info& in) override;
    void on_process(const block_ptr& b) override;
    void on_finish() override;
    void on_abort() noexcept override;

private:
    // Input-rate audio (in Opus channel order) through the resampler, if any, to push_48k.
    void resample(const float* pcm, int64_t frames);
    // 48 kHz audio into the packet buffer; each full packet's worth is encoded.
    void push_48k(const float* pcm, int64_t frames);
    void encode_packet();
    // The last input frames, kept for lpc_extension at the end.
    void keep_tail(const float* pcm, int64_t frames);
    void release() noexcept;

    std::unique_ptr<opus_session> opus_;
    std::unique_ptr<ogg_writer> ogg_;
    int channels_ = 0;
    int rate_ = 0;
    int packet_frames_ = 0;            // 48 kHz frames per packet
    int pre_skip_ = 0;                 // the OpusHead pre-skip: libopus's lookahead
    std::vector<int> source_channel_;  // for each Opus (Vorbis-order) channel, the block's channel
    std::vector<float> remapped_;      // one block in Vorbis order, reused; empty when not needed
    std::vector<float> resampled_;     // the resampler's output, reused
    std::vector<float> pending_;       // the packet being filled, 48 kHz interleaved
    int64_t pending_frames_ = 0;
    std::vector<unsigned char> packet_;
    std::vector<float> tail_;   // the last input frames, interleaved, oldest first
    int64_t input_frames_ = 0;  // input frames taken so far
    int64_t encoded_ = 0;       // 48 kHz frames encoded: the granule position of the last packet
    int64_t end_granule_ = -1;  // known at the end: pre-skip + the input's length at 48 kHz
    int64_t packetno_ = 0;
    bool ended_ = false;  // the packet reaching end_granule_ went out
};

}  // namespace timeside
