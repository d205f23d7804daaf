// peaks: a per-pixel-column min/max accumulator over the mono mixdown of a stream, in memory
// fixed by the width whatever the input's length. Shared by the waveform graphers and by the
// audiowaveform-format data writer.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace timeside {

class peaks {
public:
    // `width` columns (>= 1). `total_frames` >= 0: column x covers frames
    // [x*total/width, (x+1)*total/width) exactly. -1 (unknown length): columns of a span that
    // starts at one frame and doubles, merging columns pairwise, whenever they exceed the width.
    explicit peaks(int width, int64_t total_frames = -1);

    // Starts over, keeping the allocation when the width does not change.
    void reset(int width, int64_t total_frames);

    // Interleaved frames of `channels` channels; each frame counts as the mean of its channels
    // (as BBC audiowaveform mixes down). NaN frames are skipped so they cannot poison a column;
    // values are not clipped here (renderers clip, data writers may want the truth). No
    // allocation. `channel` >= 0 takes that channel alone instead of the mixdown (one peaks per
    // channel when channels are drawn or written apart).
    void add(std::span<const float> interleaved, int channels, int channel = -1);

    // The stream is over. Only matters when it ended before its announced length: fit() then
    // stretches the columns it reached instead of leaving the rest of the width blank.
    void finish();

    int width() const { return width_; }
    int64_t total_frames() const { return total_; }
    int64_t frames() const { return pos_; }
    // True while accumulating by doubling spans: the length was unknown, or the stream turned
    // out longer than announced (a header's length can be wrong) and we fell back to it.
    bool growing() const { return growing_; }
    // Frames per column while growing (1, 2, 4, ...); 0 in known-length mode.
    int64_t span() const { return growing_ ? span_ : 0; }

    // The columns that hold data so far, in order: width() of them once a known-length stream
    // is complete, between width()/2 and width() for a long stream of unknown length. A column
    // that covers no frame (known length shorter than the width) reads 0, 0.
    int size() const;
    std::span<const float> mins() const { return {mins_.data(), static_cast<size_t>(size())}; }
    std::span<const float> maxs() const { return {maxs_.data(), static_cast<size_t>(size())}; }

    // The columns stretched (or reduced) to `out_min.size()` == `out_max.size()` columns, for
    // drawing: each output column takes the min of mins and the max of maxes of the columns
    // under it, or the nearest one when stretching. A known length shorter than the width
    // leaves empty columns, which take the frame they start at instead of drawing silence.
    // With no data at all, every column is 0, 0.
    void fit(std::span<float> out_min, std::span<float> out_max) const;

private:
    int64_t column_end(int64_t column) const;  // known-length mode: first frame after it
    void next_column();
    void start_growing();
    void merge_pairs();
    void put(float lo, float hi, int64_t n);  // a run of n frames into the current column

    int width_ = 0;
    int64_t total_ = -1;
    bool growing_ = false;
    bool finished_ = false;
    int64_t pos_ = 0;   // frames seen
    int64_t col_ = 0;   // current column
    int64_t fill_ = 0;  // frames already in the current column
    int64_t end_ = 0;   // known length: the current column's end frame
    int64_t span_ = 1;  // growing: frames per column
    std::vector<float> mins_, maxs_;
};

}  // namespace timeside
