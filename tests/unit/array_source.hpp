// In-memory sources for the unit tests: generated samples through array_decoder, with the length
// known (a file), unknown (as a live stream or an http source without duration announces it) or
// wrong, and tags.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/parameters.hpp"
#include "decoders/array_decoder.hpp"

namespace timeside::test {

// An array_decoder whose stream_info says what the test wants: the true length, a wrong one, none
// (-1: a live stream), tags.
class shaped_decoder : public array_decoder {
public:
    shaped_decoder(std::vector<float> samples, int rate, int channels, int64_t claimed_frames,
                   std::map<std::string, std::string> tags = {}, int64_t blocksize = 0)
        : array_decoder(validate_parameters("array_decoder", describe().parameters, params(rate, channels, blocksize))),
          claimed_(claimed_frames),
          tags_(std::move(tags)) {
        set_samples(std::move(samples));
    }
    stream_info open() override {
        stream_info s = array_decoder::open();
        s.total_frames = claimed_;
        auto media = std::make_shared<media_info>();
        media->uri = s.media->uri;
        media->tags = tags_;
        s.media = media;
        return s;
    }

private:
    static raw_parameters params(int rate, int channels, int64_t blocksize) {
        raw_parameters p{{"samplerate", int64_t{rate}}, {"channels", int64_t{channels}}};
        if (blocksize > 0) p.emplace_back("blocksize", blocksize);
        return p;
    }
    int64_t claimed_;
    std::map<std::string, std::string> tags_;
};

inline std::shared_ptr<decoder> make_source(std::vector<float> samples, int channels, bool known_length,
                                            int rate, int blocksize = 1000) {
    if (known_length) return array_decoder::from_samples(std::move(samples), rate, channels, blocksize);
    return std::make_shared<shaped_decoder>(std::move(samples), rate, channels, -1, std::map<std::string, std::string>{},
                                            blocksize);
}

}  // namespace timeside::test
