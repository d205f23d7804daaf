// mp3_encoder: MPEG-1/2/2.5 layer III through LAME, CBR or VBR, behind an ID3v2.4 tag. Where the
// sink can patch bytes already written, the first frame is a Xing/Info frame with the LAME tag
// (frame count, encoder delay and padding; mp3_info_frame), so players and FFmpeg give back the
// exact length at every bitrate, the lowest included.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "core/encoder.hpp"
#include "encoders/mp3_frames.hpp"
#include "encoders/mp3_info_frame.hpp"

struct lame_global_struct;

namespace timeside {

class mp3_encoder : public encoder {
public:
    static const processor_info& describe();
    explicit mp3_encoder(parameter_set params);
    ~mp3_encoder() override;

    std::string extension() const override { return "mp3"; }
    std::string mime_type() const override { return "audio/mpeg"; }

    // The rate a stream of `input_rate` Hz is encoded at: itself when MPEG codes it, otherwise
    // the nearest rate MPEG codes that keeps the whole band (see mp3_encoder.cpp).
    static int encode_rate(int input_rate);

protected:
    void on_setup(const stream_info& in) override;
    void on_process(const block_ptr& b) override;
    void on_finish() override;
    void on_abort() noexcept override;

private:
    struct lame_closer {
        void operator()(lame_global_struct* g) const noexcept;
    };

    void drain();
    mp3_tag_fields tag_fields() const;
    void release() noexcept;

    std::unique_ptr<lame_global_struct, lame_closer> lame_;
    mp3_framer framer_;
    int channels_ = 0;
    bool lame_tag_ = false;  // a Xing/LAME frame is written first and patched at the end
    std::optional<mp3_info_frame> info_;  // that frame, once LAME's first frame says its shape
    uint64_t tag_offset_ = 0;  // where that frame starts: after the ID3v2 tag
    int input_rate_ = 0;
};

}  // namespace timeside
