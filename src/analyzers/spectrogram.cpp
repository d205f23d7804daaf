// spectrogram_analyzer: the frame adapter mixes to mono and re-blocks; each window is Hann-weighted,
// zero-padded to fft_size and transformed by a plan made once at setup; magnitudes are appended as
// one row per frame (so they stream to a row sink) and handed to listening children.
#include "analyzers/spectrogram.hpp"

#include <algorithm>
#include <cmath>
#include <new>

#include <fmt/format.h>

#include "core/errors.hpp"

namespace timeside {

fftw_r2c::fftw_r2c(int size) : size_(size) {
    in_.reset(fftwf_alloc_real(static_cast<size_t>(size)));
    out_.reset(fftwf_alloc_complex(static_cast<size_t>(size / 2 + 1)));
    if (!in_ || !out_) throw std::bad_alloc();
    {
        std::lock_guard lock(fftw_planner_mutex());
        // ESTIMATE: MEASURE would spend 0.2-1.2 s planning (under the process-wide lock) to save
        // about 0.5 us per 2048-point frame, some 70 ms on an hour of audio.
        plan_ = fftwf_plan_dft_r2c_1d(size, in_.get(), out_.get(), FFTW_ESTIMATE);
    }
    if (!plan_) throw processing_error(fmt::format("FFTW could not plan a real FFT of size {}", size));
    std::fill_n(in_.get(), size, 0.0f);  // the zero padding past each window, written once
}

fftw_r2c::~fftw_r2c() {
    std::lock_guard lock(fftw_planner_mutex());
    fftwf_destroy_plan(plan_);
}

namespace {
std::vector<int64_t> powers_of_two(int64_t from, int64_t to) {
    std::vector<int64_t> out;
    for (int64_t n = from; n <= to; n *= 2) out.push_back(n);
    return out;
}
}  // namespace

const processor_info& spectrogram::describe() {
    static const processor_info info{
        "spectrogram_analyzer",
        "Spectrogram Analyzer",
        "1.0",
        "Magnitude spectrum of each Hann-windowed frame of the mono mix (FFTW)",
        "",
        processor_kind::analyzer,
        {integer_param("input_blocksize", "frames per analysis window (at most fft_size)", 2048, 16, 65536,
                       "frames"),
         integer_param("input_stepsize", "frames between window starts (at most input_blocksize)", 1024, 1,
                       65536, "frames"),
         integer_choice_param("fft_size", "FFT length; windows are zero-padded to it", 2048,
                              powers_of_two(64, 65536), "frames")}};
    return info;
}

spectrogram::spectrogram(parameter_set params)
    : analyzer(describe(), std::move(params)),
      blocksize_(static_cast<int>(parameters().integer("input_blocksize"))),
      stepsize_(static_cast<int>(parameters().integer("input_stepsize"))),
      fft_size_(static_cast<int>(parameters().integer("fft_size"))) {
    if (blocksize_ > fft_size_)
        throw usage_error(fmt::format(
            "{}: invalid value input_blocksize={}: expected an integer from 16 to fft_size ({}); "
            "or raise fft_size to a power of two of at least {}",
            id(), blocksize_, fft_size_, blocksize_));
    // A hop longer than the window would leave samples out of every frame.
    if (stepsize_ > blocksize_)
        throw usage_error(fmt::format(
            "{}: invalid value input_stepsize={}: expected an integer from 1 to input_blocksize ({})", id(),
            stepsize_, blocksize_));
}

spectrogram::~spectrogram() = default;

void spectrogram::set_frame_listener(const void* owner, frame_listener fn) {
    remove_frame_listener(owner);
    listeners_.emplace_back(owner, std::move(fn));
}

void spectrogram::remove_frame_listener(const void* owner) {
    std::erase_if(listeners_, [&](const auto& l) { return l.first == owner; });
}

void spectrogram::on_setup(const stream_info& in) {
    if (!fft_) fft_ = std::make_unique<fftw_r2c>(fft_size_);  // one plan for every run
    if (window_.empty()) {
        // The periodic Hann window (DFT-even), the usual choice for overlapping analysis frames.
        window_.resize(static_cast<size_t>(blocksize_));
        for (int n = 0; n < blocksize_; ++n)
            window_[static_cast<size_t>(n)] =
                static_cast<float>(0.5 - 0.5 * std::cos(2.0 * M_PI * n / blocksize_));
    }
    row_.assign(static_cast<size_t>(bins()), 0.0);
    frames_ = 0;
    // TimeSide mixes down to mono (the channel average) before re-blocking.
    adapter_ = std::make_unique<frame_adapter>(in.format.channels, blocksize_, stepsize_, true);
    on_window_ = [this](std::span<const float> w, int64_t) { on_window(w); };
    std::vector<double> freqs(static_cast<size_t>(bins()));
    for (size_t k = 0; k < freqs.size(); ++k)
        freqs[k] = static_cast<double>(k) * in.format.samplerate / fft_size_;
    result_ = &new_framewise_result("", "", static_cast<size_t>(bins()), blocksize_, stepsize_, std::move(freqs));
}

void spectrogram::on_window(std::span<const float> w) {
    auto in = fft_->input();
    for (size_t n = 0; n < w.size(); ++n) in[n] = w[n] * window_[n];
    fft_->execute();
    const auto out = fft_->output();
    for (size_t k = 0; k < out.size(); ++k)
        row_[k] = std::sqrt(static_cast<double>(out[k][0]) * out[k][0] + static_cast<double>(out[k][1]) * out[k][1]);
    append_row(*result_, row_);
    for (auto& [owner, fn] : listeners_) fn(row_, frames_);
    ++frames_;
}

void spectrogram::on_process(const block_ptr& b) { adapter_->push(*b, on_window_); }

// The windows that start before the end, zero-padded.
void spectrogram::on_finish() { adapter_->flush(on_window_); }

}  // namespace timeside
