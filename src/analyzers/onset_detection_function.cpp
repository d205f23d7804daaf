// onset_detection_function: TimeSide's filters (a half-Hann smoother along time, log10 clipped as
// TimeSide clips it, a 31-tap differentiator) run as ring buffers over the frames the spectrogram
// hands over, so each row is known a fixed number of frames after its spectrum: it works live.
#include "analyzers/onset_detection_function.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include <fmt/format.h>

#include "analyzers/spectrogram.hpp"
#include "core/errors.hpp"

namespace timeside {

namespace {

// TimeSide smooths |S| along time with scipy's hann(15)[8:], the falling half of a 15-point Hann:
// 0.5 - 0.5 cos(2π(j + 8)/14), j = 0..6. Its last tap is 0, so six taps remain.
constexpr size_t smooth_taps = 6;
const std::array<double, smooth_taps> smooth = [] {
    std::array<double, smooth_taps> taps{};
    for (size_t j = 0; j < smooth_taps; ++j) taps[j] = 0.5 - 0.5 * std::cos(2.0 * M_PI * static_cast<double>(j + 8) / 14.0);
    return taps;
}();

// TimeSide's differentiator, scipy.signal.remez(31, [0, 0.5], [π], type='differentiator'): the
// first half of its taps; the filter is antisymmetric (h[30 - j] = -h[j], h[15] = 0).
constexpr size_t diff_taps = 31;
constexpr double diff_half[15] = {
    0.22438025585774582,  -0.2807341384857515,  0.09141412190881368, -0.06464283303338797,
    0.05886894640847967,  -0.05903478443886045, 0.06217795454738689, -0.0676083160206919,
    0.0753934166476915,   -0.08641448219467168, 0.10234491886147323, -0.126823137686773,
    0.16771302772043517,  -0.2505552900762916,  0.5004644560732763};
constexpr int diff_delay = 15;  // its group delay, in frames

// TimeSide clips |S| to 1e-9 before log10, then the log to 1e-3: silence reads 1e-3.
constexpr double log_floor = 1e-3;
constexpr double rectify_below = 1e-10;

std::vector<int64_t> powers_of_two(int64_t from, int64_t to) {
    std::vector<int64_t> out;
    for (int64_t n = from; n <= to; n *= 2) out.push_back(n);
    return out;
}

}  // namespace

const processor_info& onset_detection_function::describe() {
    static const processor_info info{
        "onset_detection_function",
        "Onset Detection Function",
        "1.0",
        "Rectified time derivative of the smoothed log spectrogram, summed over frequency",
        "",
        processor_kind::analyzer,
        {integer_choice_param("input_blocksize", "frames per spectrogram window (also its FFT size)", 1024,
                              powers_of_two(64, 65536), "frames"),
         integer_param("input_stepsize", "frames between window starts (at most input_blocksize)", 512, 1,
                       65536, "frames")}};
    return info;
}

onset_detection_function::onset_detection_function(parameter_set params)
    : analyzer(describe(), std::move(params)),
      blocksize_(static_cast<int>(parameters().integer("input_blocksize"))),
      stepsize_(static_cast<int>(parameters().integer("input_stepsize"))) {
    if (stepsize_ > blocksize_)
        throw usage_error(fmt::format(
            "{}: invalid value input_stepsize={}: expected an integer from 1 to input_blocksize ({})", id(),
            stepsize_, blocksize_));
    const raw_parameters spec{{"input_blocksize", int64_t{blocksize_}},
                              {"input_stepsize", int64_t{stepsize_}},
                              {"fft_size", int64_t{blocksize_}}};
    auto parent = std::make_shared<spectrogram>(
        validate_parameters(spectrogram::describe().id, spectrogram::describe().parameters, spec));
    // Our own spectrogram keeps no rows: we read each one as it comes, and a whole spectrogram of a
    // long file would cost hundreds of MB. An equal one the user asked for replaces it (the pipe
    // shares processors) and keeps its rows.
    parent->set_row_sink(nullptr, false);
    parents_.push_back(std::move(parent));
    // Row i is stamped where the onsets it shows are: the differentiator's group delay is
    // compensated, less the frames between a window's start and its last hop, the only audio a
    // frame adds to the one before (at most the whole delay, for very small hops). Measured on
    // clicks, noise bursts and tones, peaks then land within a hop of the onsets.
    const int lead = (blocksize_ + stepsize_ / 2) / stepsize_ - 1;
    delay_ = diff_delay - std::min(lead, diff_delay);
}

onset_detection_function::~onset_detection_function() {
    if (parent_) parent_->remove_frame_listener(this);
}

void onset_detection_function::on_setup(const stream_info&) {
    auto parent = parents_.empty() ? nullptr : std::dynamic_pointer_cast<spectrogram>(parents_.front());
    if (!parent) throw processing_error(fmt::format("{}: its spectrogram_analyzer parent is missing", id()));
    if (parent_ && parent_ != parent) parent_->remove_frame_listener(this);
    parent_ = std::move(parent);
    parent_->set_frame_listener(this, [this](std::span<const double> m, int64_t) { on_frame(m); });

    bins_ = static_cast<size_t>(parent_->bins());
    // Before the stream: silence, so the first frames of a loud start read as an onset and a
    // silent start reads 0 (TimeSide's zero filter state makes every file start with a rise).
    mag_hist_.assign(smooth_taps * bins_, 0.0);
    log_hist_.assign(diff_taps * bins_, log_floor);
    diff_.assign(bins_, 0.0);
    mag_head_ = log_head_ = 0;
    outputs_ = 0;
    result_ = &new_framewise_result("", "", 0, blocksize_, stepsize_);
}

void onset_detection_function::on_frame(std::span<const double> magnitudes) {
    mag_head_ = (mag_head_ + 1) % smooth_taps;
    std::copy(magnitudes.begin(), magnitudes.end(), mag_hist_.begin() + static_cast<std::ptrdiff_t>(mag_head_ * bins_));
    log_head_ = (log_head_ + 1) % diff_taps;
    double* log_row = log_hist_.data() + log_head_ * bins_;
    std::fill_n(log_row, bins_, 0.0);
    for (size_t j = 0; j < smooth_taps; ++j) {
        const double tap = smooth[j];
        const double* m = mag_hist_.data() + ((mag_head_ + smooth_taps - j) % smooth_taps) * bins_;
        for (size_t k = 0; k < bins_; ++k) log_row[k] += tap * m[k];
    }
    for (size_t k = 0; k < bins_; ++k)
        log_row[k] = std::max(std::log10(std::max(log_row[k], 1e-9)), log_floor);
    push_log_frame();
}

void onset_detection_function::push_log_frame() {
    // y[k] = Σ_j h[j] L[n - j][k]; antisymmetry pairs tap j with tap 30 - j. Bins innermost, so
    // the compiler vectorises.
    std::fill(diff_.begin(), diff_.end(), 0.0);
    for (size_t j = 0; j < 15; ++j) {
        const double* newer = log_hist_.data() + ((log_head_ + diff_taps - j) % diff_taps) * bins_;
        const double* older = log_hist_.data() + ((log_head_ + 1 + j) % diff_taps) * bins_;  // n - 30 + j
        const double h = diff_half[j];
        for (size_t k = 0; k < bins_; ++k) diff_[k] += h * (newer[k] - older[k]);
    }
    double sum = 0;
    for (double y : diff_) sum += y >= rectify_below ? y : 0.0;
    // The first `delay_` outputs describe frames before the stream's start.
    if (outputs_++ >= delay_) append_row(*result_, std::span<const double>(&sum, 1));
}

// The last `delay_` rows need frames past the end: the last one held (a steady signal has no onset).
void onset_detection_function::on_finish() {
    if (outputs_ == 0) return;
    const double* last = log_hist_.data() + log_head_ * bins_;
    for (int i = 0; i < delay_; ++i) {
        const size_t next = (log_head_ + 1) % diff_taps;
        std::copy_n(last, bins_, log_hist_.data() + next * bins_);
        log_head_ = next;
        last = log_hist_.data() + log_head_ * bins_;
        push_log_frame();
    }
}

}  // namespace timeside
