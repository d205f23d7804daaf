// loudness_itu: EBU R128 / ITU-R BS.1770-4 loudness through libebur128 — integrated (gated)
// loudness and its relative threshold, momentary and short-term loudness every 100 ms, loudness
// range, sample and true peak — under TimeSide's result ids, as ffmpeg's ebur128 filter reports them.
#pragma once

#include <ebur128.h>

#include <array>
#include <memory>
#include <vector>

#include "core/analyzer.hpp"

namespace timeside {

// True peak as BS.1770-4 Annex 2 describes it: the signal oversampled 4x below 96 kHz (2x below
// 192 kHz, as is above), by a polyphase Kaiser-windowed sinc of 32 taps a phase. libebur128's own
// meter (49 taps in all) under-reads clipped pink noise by up to 0.7 dB against sox's 768 kHz
// resampling; this one, like ffmpeg's, stays within 0.2 dB of it, in a quarter of libebur128's time.
// Its band edge is the Nyquist frequency (as libebur128's): content right there (a full-scale sweep
// to fs/2) reads up to 2 dB over, where ffmpeg, which resamples to 48 kHz first, cuts it away.
class true_peak_meter {
public:
    static constexpr int taps = 32;

    void setup(int samplerate, int channels);
    void add(const float* interleaved, int64_t frames);
    void flush();         // the last samples' intervals, against silence after the end
    double peak() const;  // linear, the highest over all channels and the samples themselves
    int factor() const { return factor_; }

private:
    int factor_ = 1;
    int channels_ = 0;
    std::vector<std::array<float, taps>> phases_;  // phases 1 .. factor-1; phase 0 is the sample
    std::vector<std::vector<float>> work_;         // per channel: taps-1 samples of history, then the block
    float peak_ = 0;
};

// Loudness range after EBU Tech 3342 (2016): short-term values taken every 100 ms (at least 10 Hz
// is required since 2016; libebur128 1.2 takes one a second), gated at -70 LUFS and 20 LU below
// their mean power, 95th minus 10th percentile. Values are kept in 0.01 LU bins (as ffmpeg keeps
// them): 40 KB whatever the length, so a live stream runs for ever.
class loudness_range_meter {
public:
    void add(double energy);  // a short-term window's mean-square energy
    double range() const;     // LU; 0 without any value above the gates

private:
    static constexpr double lowest_lufs = -70.0, bin_lu = 0.01;
    static constexpr int bins = 10000;  // -70 to +30 LUFS
    std::vector<uint32_t> counts_ = std::vector<uint32_t>(bins, 0);
    double energy_sum_ = 0;
    uint64_t values_ = 0;
};

class loudness_itu : public analyzer {
public:
    static const processor_info& describe();
    // What a momentary or short-term window of digital silence reads instead of -inf (level's
    // floor: below anything a float signal carries through the K-weighting filter).
    static constexpr double floor_lufs = -200.0;
    // What the integrated loudness reads when no block passes the absolute gate: the gate itself,
    // as ffmpeg's summary prints it (and as libebur128 reports the relative threshold then).
    static constexpr double gate_lufs = -70.0;
    // Peaks of digital silence, in dBFS / dBTP.
    static constexpr double floor_db = -200.0;
    static constexpr int max_channels = 8;

    explicit loudness_itu(parameter_set params);

    // libebur128's channel type for `channel` of `channels`, in WAV / GStreamer order (FL FR FC
    // LFE BL BR SL SR): LFE unused, side and ±110° surrounds weighted 1.41, rear ones 1.0.
    static int channel_type(int channel, int channels);

protected:
    void on_setup(const stream_info& in) override;
    void on_process(const block_ptr& b) override;
    void on_finish() override;

private:
    struct state_deleter {
        void operator()(ebur128_state* s) const noexcept { ebur128_destroy(&s); }
    };
    using state_ptr = std::unique_ptr<ebur128_state, state_deleter>;

    void on_step();
    double window_energy(int steps) const;

    static constexpr int momentary_steps = 4;    // 400 ms
    static constexpr int short_term_steps = 30;  // 3 s

    state_ptr state_;
    true_peak_meter true_peak_;
    loudness_range_meter range_;
    analyzer_result* momentary_ = nullptr;
    analyzer_result* short_term_ = nullptr;
    int64_t step_ = 0;   // libebur128's 100 ms: round(rate / 10) frames, its gating block hop
    int64_t phase_ = 0;  // frames fed since the last step boundary
    int64_t steps_ = 0;  // complete steps fed
    int64_t frames_ = 0;
    bool measure_true_peak_ = true;
    // True when ebur128_loudness_window(100) spans exactly one step (rates that are multiples of
    // 10 Hz): windows are then summed here from per-step energies instead of asking libebur128 to
    // re-sum 3 s of samples every 100 ms.
    bool step_energies_ = false;
    std::array<double, short_term_steps> energy_{};  // mean-square energy of the last steps, a ring
};

}  // namespace timeside
