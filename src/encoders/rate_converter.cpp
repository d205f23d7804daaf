// rate_converter: speexdsp is called a chunk at a time with room for all the chunk can give.
#include "encoders/rate_converter.hpp"

#include <fmt/format.h>
#include <speex/speex_resampler.h>

#include <algorithm>

#include "core/errors.hpp"
#include "encoders/polyphase_resampler.hpp"

namespace timeside {

namespace {
constexpr int speex_quality = 5;  // speexdsp's default, and opusenc's
constexpr int64_t chunk = 1024;   // input frames per speexdsp call
}  // namespace

rate_converter::rate_converter(int channels, int in_rate, int out_rate)
    : channels_(channels), in_rate_(in_rate), out_rate_(out_rate) {
    polyphase_ = polyphase_resampler::make(channels, in_rate, out_rate);
    if (polyphase_) return;
    int err = RESAMPLER_ERR_SUCCESS;
    if (channels > 0 && in_rate > 0 && out_rate > 0)
        speex_ = speex_resampler_init(static_cast<spx_uint32_t>(channels), static_cast<spx_uint32_t>(in_rate),
                                      static_cast<spx_uint32_t>(out_rate), speex_quality, &err);
    if (!speex_)
        throw usage_error(fmt::format("cannot resample {} channel(s) from {} Hz to {} Hz: {}", channels,
                                      in_rate, out_rate, speex_resampler_strerror(err)));
    speex_resampler_skip_zeros(speex_);
}

rate_converter::~rate_converter() {
    if (speex_) speex_resampler_destroy(speex_);
}

void rate_converter::process(const float* in, int64_t frames, std::vector<float>& out) {
    if (polyphase_) {
        polyphase_->process(in, frames, out);
        return;
    }
    const auto ch = static_cast<size_t>(channels_);
    while (frames > 0) {
        auto in_len = static_cast<spx_uint32_t>(std::min(frames, chunk));
        const size_t at = out.size();
        auto out_len = static_cast<spx_uint32_t>(static_cast<int64_t>(in_len) * out_rate_ / in_rate_ + 16);
        out.resize(at + out_len * ch);
        const int err =
            speex_resampler_process_interleaved_float(speex_, in, &in_len, out.data() + at, &out_len);
        out.resize(at + out_len * ch);
        if (err != RESAMPLER_ERR_SUCCESS || (in_len == 0 && out_len == 0))
            throw processing_error(fmt::format("resampling from {} Hz to {} Hz failed: {}", in_rate_,
                                               out_rate_, speex_resampler_strerror(err)));
        in += in_len * ch;
        frames -= in_len;
    }
}

}  // namespace timeside
