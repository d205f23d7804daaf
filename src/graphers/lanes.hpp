// Lanes: the horizontal bands a waveform render stacks, one for the mono mixdown or one per
// channel (split_channels), and the peaks accumulated for each of them, in memory fixed by the
// width and the channel count.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "graphers/peaks.hpp"

namespace timeside {

// Rows [top, top + height) of an image `image_height` tall: lane `index` of `count` stacked from
// the top, their heights differing by one row at most and adding up to the image's.
struct lane_rect {
    int top = 0, height = 0;
};
lane_rect lane_of(int index, int count, int image_height);

// One peaks accumulator per lane.
class lane_peaks {
public:
    // Before reset(): one empty lane, so a render before any data draws the centre line.
    lane_peaks(int width, bool split_channels);

    // A new stream of `channels` channels: one lane, or `channels` lanes when split.
    void reset(int channels, int64_t total_frames);
    void add(std::span<const float> interleaved, int channels);
    void finish();

    bool split() const { return split_; }
    int count() const { return static_cast<int>(lanes_.size()); }
    const peaks& lane(int i) const { return lanes_.at(static_cast<size_t>(i)); }

    // Lane i's columns fitted to `width` output columns (peaks::fit).
    struct columns {
        std::vector<float> mins, maxs;
    };
    columns fit(int i, int width) const;

private:
    int width_;
    bool split_;
    std::vector<peaks> lanes_;
};

}  // namespace timeside
