// wav_encoder: RIFF WAVE, PCM 16/24/32-bit integer or IEEE float 32, WAVE_FORMAT_EXTENSIBLE where
// the spec asks for it. The header carries the exact data size: written up front when the length
// is known, patched at the end through byte_sink::rewrite when it was unknown or turned out wrong.
#pragma once

#include <cstdint>
#include <vector>

#include "core/encoder.hpp"

namespace timeside {

class wav_encoder : public encoder {
public:
    enum class sample_format { s16, s24, s32, f32 };

    static const processor_info& describe();
    explicit wav_encoder(parameter_set params);

    std::string extension() const override { return "wav"; }
    std::string mime_type() const override { return "audio/wav"; }

    // The header for `frames` frames (-1: unknown, the sizes read 0xFFFFFFFF as in a live stream).
    static std::vector<unsigned char> header(sample_format f, int samplerate, int channels, int64_t frames);

protected:
    void on_setup(const stream_info& in) override;
    void on_process(const block_ptr& b) override;
    void on_finish() override;

private:
    void write_frames(const float* samples, int64_t frames);

    sample_format format_ = sample_format::s16;
    int samplerate_ = 0;
    int channels_ = 0;
    int64_t declared_frames_ = -1;  // what the header written at setup says
    int64_t frames_ = 0;            // written so far
    bool can_rewrite_ = false;
    std::vector<unsigned char> buffer_;  // one block converted, reused
};

}  // namespace timeside
