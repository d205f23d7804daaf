// vorbis_encoder: Ogg Vorbis through libvorbis/libvorbisenc (VBR quality mode) and ogg_writer.
// Writes the source's title/artist/album as Vorbis comments, and ends the stream on a granule
// position equal to the number of input frames, so decoders give back the exact length.
#pragma once

#include <memory>
#include <vector>

#include "core/encoder.hpp"

namespace timeside {

class ogg_writer;
struct vorbis_session;

class vorbis_encoder : public encoder {
public:
    static const processor_info& describe();
    explicit vorbis_encoder(parameter_set params);
    ~vorbis_encoder() override;

    std::string extension() const override { return "ogg"; }
    std::string mime_type() const override { return "audio/ogg"; }

protected:
    void on_setup(const stream_info& in) override;
    void on_process(const block_ptr& b) override;
    void on_finish() override;
    void on_abort() noexcept override;

private:
    void write_packets();
    void release() noexcept;

    std::unique_ptr<vorbis_session> vorbis_;
    std::unique_ptr<ogg_writer> ogg_;
    int channels_ = 0;
    std::vector<int> source_channel_;  // for each Vorbis channel, the block's channel it takes
    int64_t packets_ = 0;              // audio packets written
};

}  // namespace timeside
