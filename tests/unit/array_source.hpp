// In-memory sources for the unit tests: generated samples through array_decoder, with the length
// known (a file) or unknown (as a live stream or an http source without duration announces it).
#pragma once

#include <memory>
#include <vector>

#include "core/parameters.hpp"
#include "decoders/array_decoder.hpp"

namespace timeside::test {

class unknown_length_decoder : public array_decoder {
public:
    using array_decoder::array_decoder;
    stream_info open() override {
        auto s = array_decoder::open();
        s.total_frames = -1;
        return s;
    }
};

inline std::shared_ptr<decoder> make_source(std::vector<float> samples, int channels, bool known_length,
                                            int rate, int blocksize = 1000) {
    if (known_length) return array_decoder::from_samples(std::move(samples), rate, channels, blocksize);
    auto u = std::make_shared<unknown_length_decoder>(validate_parameters(
        "array_decoder", array_decoder::describe().parameters,
        {{"samplerate", int64_t{rate}}, {"channels", int64_t{channels}}, {"blocksize", int64_t{blocksize}}}));
    u->set_samples(std::move(samples));
    return u;
}

}  // namespace timeside::test
