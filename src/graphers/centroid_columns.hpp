// centroid_columns: the spectral centroid of a signal per pixel column, for waveform_centroid.
// Hann-windowed frames of fixed size go through FFTW; each frame's magnitude sums (plain and
// frequency-weighted) are added to the column holding its centre, so memory is fixed by the width
// whatever the length; an unknown length merges columns pairwise as peaks does.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace timeside {

class fftw_r2c;

class centroid_columns {
public:
    // Frames: window_size samples, Hann-weighted; frame j covers samples [j * hop, j * hop +
    // window_size), and once the stream is over one more frame ends on its last sample if the
    // hops stepped over some; a stream shorter than a window is one frame, zero-padded. A frame
    // counts in the column of its centre (start + window_size / 2, at most the last sample).
    static constexpr int window_size = 2048;

    explicit centroid_columns(int width);
    ~centroid_columns();
    centroid_columns(centroid_columns&&) noexcept;
    centroid_columns& operator=(centroid_columns&&) noexcept;

    // A new stream. total_frames >= 0: column x holds the frames whose centre is in
    // [x * total / width, (x + 1) * total / width), hop = total / width (1 to window_size / 2).
    // -1 (unknown): columns of a span that starts at one frame and doubles, hop = min(span,
    // window_size / 2); a stream longer than announced falls back to that.
    void reset(int samplerate, int64_t total_frames);
    // Interleaved frames; `channel` -1 takes the mean of the channels, else that channel alone.
    void add(std::span<const float> interleaved, int channels, int channel = -1);
    // The stream is over: computes the last frame (see above).
    void finish();

    int width() const { return width_; }
    int hop() const;
    bool growing() const { return growing_; }
    int64_t frames_computed() const { return computed_; }

    // The centroid in Hz of each of `out_width` output columns: sum(|X_k| f_k) / sum(|X_k|) over
    // every frame under it, 0 where there is no energy. A known length is laid out in place
    // (columns no frame reached take their neighbour's value) unless the stream ended early or the
    // length was unknown: the columns reached are then stretched to the width.
    std::vector<double> fit_hz(int out_width) const;

private:
    struct column {
        double magnitude = 0, weighted = 0;  // sum |X_k|, sum |X_k| * f_k
        int64_t frames = 0;
    };
    void compute_frame(int64_t start);
    void put(int64_t centre, double magnitude, double weighted);
    void start_growing();
    void merge_pairs();
    int64_t columns_reached() const;

    int width_;
    int samplerate_ = 0;
    int64_t total_ = -1;
    bool growing_ = false, finished_ = false;
    int64_t seen_ = 0;         // samples received
    int64_t next_start_ = 0;   // first sample of the next frame to compute
    int64_t last_start_ = -1;  // first sample of the last frame computed
    int64_t computed_ = 0;
    int64_t col_ = 0, col_start_ = 0, span_ = 1;  // growing: current column, its first sample, its span
    int64_t last_col_ = -1;                       // column of the last frame put
    std::vector<column> columns_;
    std::vector<float> ring_;    // the last window_size samples, by position modulo window_size
    std::vector<float> window_;  // Hann
    std::unique_ptr<fftw_r2c> fft_;
};

}  // namespace timeside
