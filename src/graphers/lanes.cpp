// Lane layout and per-lane peaks: the mixdown lane feeds peaks::add with every channel, a split
// lane with its channel alone.
#include "graphers/lanes.hpp"

#include <stdexcept>

namespace timeside {

lane_rect lane_of(int index, int count, int image_height) {
    if (count < 1 || index < 0 || index >= count) throw std::invalid_argument("lane_of: no such lane");
    const int64_t h = image_height;
    const auto top = static_cast<int>(index * h / count);
    const auto bottom = static_cast<int>((index + 1) * h / count);
    return {top, bottom - top};
}

lane_peaks::lane_peaks(int width, bool split_channels) : width_(width), split_(split_channels) {
    lanes_.emplace_back(width_);
}

void lane_peaks::reset(int channels, int64_t total_frames) {
    if (channels < 1) throw std::invalid_argument("lane_peaks: a stream needs at least one channel");
    const auto n = static_cast<size_t>(split_ ? channels : 1);
    lanes_.resize(n, peaks(width_));
    for (auto& p : lanes_) p.reset(width_, total_frames);
}

void lane_peaks::add(std::span<const float> interleaved, int channels) {
    if (!split_) {
        lanes_.front().add(interleaved, channels);
        return;
    }
    if (channels != count()) throw std::invalid_argument("lane_peaks: the channel count changed");
    for (int c = 0; c < channels; ++c) lanes_[static_cast<size_t>(c)].add(interleaved, channels, c);
}

void lane_peaks::finish() {
    for (auto& p : lanes_) p.finish();
}

lane_peaks::columns lane_peaks::fit(int i, int width) const {
    columns out{std::vector<float>(static_cast<size_t>(width)),
                std::vector<float>(static_cast<size_t>(width))};
    lane(i).fit(out.mins, out.maxs);
    return out;
}

}  // namespace timeside
