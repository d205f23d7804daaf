// array_decoder: in-memory samples come back as blocks, unchanged.
#include <catch2/catch.hpp>

#include "core/errors.hpp"
#include "decoders/array_decoder.hpp"

using namespace timeside;

TEST_CASE("samples come back unchanged, in blocks of blocksize", "[decoders]") {
    std::vector<float> s(2 * 2500);
    for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<float>(i) / 10000.0f;
    auto d = array_decoder::from_samples(s, 16000, 2, 1024);
    auto info = d->open();
    CHECK(info.total_frames == 2500);
    CHECK(info.format == audio_format{16000, 2});
    std::vector<float> back;
    std::vector<int64_t> sizes;
    while (auto b = d->read()) {
        sizes.push_back(b->frames());
        back.insert(back.end(), b->samples().begin(), b->samples().end());
    }
    CHECK(sizes == std::vector<int64_t>{1024, 1024, 452});
    CHECK(back == s);
}

TEST_CASE("a sample count that is not whole frames is refused", "[decoders]") {
    CHECK_THROWS_AS(array_decoder::from_samples(std::vector<float>(5), 8000, 2), usage_error);
}
