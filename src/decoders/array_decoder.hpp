// array_decoder: in-memory samples (TimeSide's ArrayDecoder), for generated signals and tests.
#pragma once

#include <memory>
#include <vector>

#include "core/decoder.hpp"

namespace timeside {

class array_decoder : public decoder {
public:
    static const processor_info& describe();
    explicit array_decoder(parameter_set params);

    // Interleaved samples at the `samplerate` and `channels` parameters.
    void set_samples(std::vector<float> interleaved);
    static std::shared_ptr<array_decoder> from_samples(std::vector<float> interleaved, int samplerate,
                                                       int channels, int blocksize = 8192);

    stream_info open() override;
    block_ptr read() override;

private:
    std::shared_ptr<const std::vector<float>> samples_;
    stream_info stream_;
    int64_t position_ = 0;
};

}  // namespace timeside
