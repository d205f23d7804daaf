// array_decoder: slices an in-memory signal into blocks.
#include "decoders/array_decoder.hpp"

#include <fmt/format.h>

#include "core/errors.hpp"

namespace timeside {

const processor_info& array_decoder::describe() {
    static const processor_info info{
        "array_decoder", "Array decoder", "1.0", "Delivers in-memory samples as float32 blocks", "",
        processor_kind::decoder,
        {integer_param("samplerate", "sample rate of the samples", 44100, 1, 768000, "Hz"),
         integer_param("channels", "channels of the interleaved samples", 1, 1, 64),
         integer_param("blocksize", "frames per block", 8192, 1, 1 << 20, "frames")}};
    return info;
}

array_decoder::array_decoder(parameter_set params) : decoder(describe(), std::move(params)) {}

void array_decoder::set_samples(std::vector<float> interleaved) {
    auto ch = static_cast<size_t>(parameters().integer("channels"));
    if (interleaved.size() % ch != 0)
        throw usage_error(fmt::format("array_decoder: {} samples is not a whole number of {}-channel frames",
                                      interleaved.size(), ch));
    samples_ = std::make_shared<const std::vector<float>>(std::move(interleaved));
}

std::shared_ptr<array_decoder> array_decoder::from_samples(std::vector<float> interleaved, int samplerate,
                                                           int channels, int blocksize) {
    auto params = validate_parameters("array_decoder", describe().parameters,
                                      {{"samplerate", int64_t{samplerate}},
                                       {"channels", int64_t{channels}},
                                       {"blocksize", int64_t{blocksize}}});
    auto d = std::make_shared<array_decoder>(std::move(params));
    d->set_samples(std::move(interleaved));
    return d;
}

stream_info array_decoder::open() {
    if (!samples_) samples_ = std::make_shared<const std::vector<float>>();
    stream_ = {};
    stream_.format = {static_cast<int>(parameters().integer("samplerate")),
                      static_cast<int>(parameters().integer("channels"))};
    stream_.blocksize = static_cast<int>(parameters().integer("blocksize"));
    stream_.total_frames = static_cast<int64_t>(samples_->size()) / stream_.format.channels;
    auto media = std::make_shared<media_info>();
    media->uri = "array://";
    media->mime = "audio/x-raw";
    media->samplerate = stream_.format.samplerate;
    media->channels = stream_.format.channels;
    media->duration = stream_.duration();
    stream_.media = media;
    position_ = 0;
    return stream_;
}

block_ptr array_decoder::read() {
    const int64_t left = stream_.total_frames - position_;
    if (left <= 0) return nullptr;
    const int64_t n = std::min<int64_t>(left, stream_.blocksize);
    const auto ch = static_cast<size_t>(stream_.format.channels);
    auto first = samples_->begin() + static_cast<std::ptrdiff_t>(position_ * ch);
    std::vector<float> out(first, first + static_cast<std::ptrdiff_t>(n * ch));
    auto b = block::make(stream_.format, position_, std::move(out));
    position_ += n;
    return b;
}

}  // namespace timeside
