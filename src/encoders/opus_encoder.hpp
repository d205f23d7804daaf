// opus_encoder: Ogg Opus through libopusenc (VBR, any input rate: libopusenc resamples to 48 kHz).
// Each Ogg page reaches the byte sink as one chunk, the OpusHead/OpusTags pages flagged as headers;
// the last granule position is pre-skip + the input's length at 48 kHz, so decoders trim exactly.
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <vector>

#include "core/encoder.hpp"

namespace timeside {

struct opus_session;

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
    // libopusenc's write callback: one call per finished page.
    static int on_page(void* self, const unsigned char* page, std::int32_t len) noexcept;
    // Turns a libopusenc failure into the sink's own exception when a page write failed, else
    // into a processing_error naming `what` and libopusenc's error text.
    void check(int err, const char* what);
    void release() noexcept;

    std::unique_ptr<opus_session> opus_;
    int channels_ = 0;
    std::vector<int> source_channel_;  // for each Opus (Vorbis-order) channel, the block's channel
    std::vector<float> remapped_;      // one block in Vorbis order, reused; empty when not needed
    bool in_header_ = false;           // pages written now carry OpusHead / OpusTags
    bool wrote_audio_ = false;         // libopusenc knows the stream's length only after a write
    std::exception_ptr write_error_;   // what the sink threw inside the callback
};

}  // namespace timeside
