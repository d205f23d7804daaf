// BBC audiowaveform's two encodings of waveform data, as peaks.js and waveform-data.js read them:
// the binary .dat (version 1 for one channel, 2 for more; little-endian) and the .json (version 2).
// The points arrive as 16-bit values; 8-bit output divides them by 256, truncating, as it does.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace timeside {

struct waveform_points {
    int32_t sample_rate = 0;
    int32_t samples_per_pixel = 0;
    int32_t channels = 1;
    // Per pixel, per channel: min then max, 16-bit. Holds length() * channels * 2 values.
    std::span<const int16_t> data;

    uint32_t length() const {
        return channels < 1 ? 0 : static_cast<uint32_t>(data.size() / (2 * static_cast<size_t>(channels)));
    }
};

// A 16-bit point at `bits` (8 or 16) resolution: audiowaveform's integer division by 256 for 8.
inline int16_t at_resolution(int16_t v, int bits) {
    return bits == 8 ? static_cast<int16_t>(v / 256) : v;
}

// The .dat bytes: header (20 bytes for version 1, 24 for version 2), then the points as int8 or
// int16. Throws std::invalid_argument for bits other than 8 and 16.
std::vector<unsigned char> encode_dat(const waveform_points& points, int bits);

// The .json text, byte for byte audiowaveform's: one line, keys in its order, newline-terminated.
std::vector<unsigned char> encode_json(const waveform_points& points, int bits);

}  // namespace timeside
