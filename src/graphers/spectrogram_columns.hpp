// Per-pixel-column accumulation of FFT frames for the spectrogram renders, in memory fixed by the
// image (width x rows floats) whatever the input's length. It also schedules the frames: it says
// where the next FFT frame is centred, so that every column gets at least one frame and no audio
// is analysed more than twice (hop at most fft_size/2).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace timeside {

class spectrogram_columns {
public:
    // `width` columns of `rows` values. `total_frames` >= 0: column x covers the frames
    // [x*total/width, (x+1)*total/width) and frames are centred every clamp(total/width, 1,
    // max_hop) frames. -1 (unknown length): columns start one frame wide and double, merging
    // pairwise, whenever they exceed the width; the hop follows the span up to max_hop.
    spectrogram_columns(int width, int rows, int64_t total_frames, int max_hop);
    void reset(int width, int rows, int64_t total_frames, int max_hop);

    int width() const { return width_; }
    int rows() const { return rows_; }
    bool growing() const { return growing_; }
    // Frames per column while growing; 0 in known-length mode.
    int64_t span() const { return growing_ ? span_ : 0; }
    int64_t hop() const { return hop_; }
    int64_t frames_added() const { return added_; }

    // The stream frame the next FFT frame is centred on (0, hop, ...).
    int64_t next_centre() const { return centre_; }
    // Adds the row values of the frame centred at next_centre() (rows() of them) to its column
    // (summed; drawn as the mean), then moves next_centre() on by one hop.
    void add(std::span<const float> values);
    // The stream ended after `frames_seen` frames; when that is short of an announced length,
    // fit() stretches the columns reached over the whole width.
    void finish(int64_t frames_seen);

    // For drawing `out.size()` image columns: the accumulated column each one shows, or -1 where
    // there is no data (yet). Known length: columns in place, a column that no frame landed in
    // (a stream shorter than the width) shows the next one. Otherwise the columns reached are
    // stretched to the width.
    void fit(std::span<int> out) const;
    // The mean of row r over the frames of column c (0 when the column has none).
    float mean(int c, int r) const;

private:
    int64_t column_end(int64_t column) const;  // known length: the first frame after column
    void start_growing();
    void merge_pairs();

    int width_ = 0, rows_ = 0;
    int64_t total_ = -1;
    int max_hop_ = 1;
    bool growing_ = false, finished_ = false;
    int64_t seen_ = 0;     // frames in the stream, once finished
    int64_t centre_ = 0;   // the next frame's centre
    int64_t hop_ = 1;
    int64_t added_ = 0;
    int64_t col_ = 0;      // the current column
    int64_t end_ = 0;      // known length: the current column's end frame
    int64_t last_ = -1;    // known length: the last column a frame landed in
    int64_t span_ = 1;     // growing: frames per column
    int64_t fill_ = 0;     // growing: frames already covered in the current column
    std::vector<float> sums_;      // width x rows, column-major
    std::vector<uint32_t> counts_; // frames per column
};

}  // namespace timeside
