// aubio_mfcc: TimeSide's defaults (1024 / 256, 40 filters, 13 coefficients), without the row of
// zeros its Python version put first. aubio_mfcc uses Slaney's filterbank for 40 filters and mel
// bands from 0 Hz to Nyquist otherwise, or when Slaney's bands would pass Nyquist.
#include "analyzers/aubio_mfcc.hpp"

#include <fmt/format.h>

#include "core/errors.hpp"

namespace timeside {

const processor_info& aubio_mfcc::describe() {
    static const processor_info info{
        "aubio_mfcc",
        "MFCC (aubio)",
        "0.4.9",
        "Mel-frequency cepstral coefficients per hop (aubio)",
        "",
        processor_kind::analyzer,
        {aubio::buffer_size_param("buffer_size", "FFT window", 1024),
         aubio::hop_size_param("hop_size", "Frames between two rows (at most buffer_size)", 256),
         integer_param("n_filters", "Mel bands (40: Slaney's Auditory Toolbox bands)", 40, 1, 256),
         integer_param("n_coeffs", "Cepstral coefficients per row (at most n_filters)", 13, 1, 256)}};
    return info;
}

aubio_mfcc::aubio_mfcc(parameter_set params)
    : analyzer(describe(), std::move(params)),
      buffer_size_(static_cast<int>(parameters().integer("buffer_size"))),
      hop_size_(static_cast<int>(parameters().integer("hop_size"))),
      n_filters_(static_cast<int>(parameters().integer("n_filters"))),
      n_coeffs_(static_cast<int>(parameters().integer("n_coeffs"))) {
    aubio::quiet_repeated_warnings();
    aubio::check_hop(id(), parameters(), "hop_size", "buffer_size");
    // aubio copies n_coeffs values out of an n_filters-long DCT: more would read past its end.
    if (n_coeffs_ > n_filters_)
        throw usage_error(
            fmt::format("{}: invalid value n_coeffs={}: expected an integer from 1 to {} (n_filters = {})",
                        id(), n_coeffs_, n_filters_, n_filters_));
}

void aubio_mfcc::on_setup(const stream_info& in) {
    const auto buf = static_cast<uint_t>(buffer_size_);
    pvoc_ = aubio::make<aubio::pvoc_ptr>(
        [&] { return aubio::lib().new_aubio_pvoc(buf, static_cast<uint_t>(hop_size_)); }, "a phase vocoder");
    mfcc_ = aubio::make<aubio::mfcc_ptr>(
        [&] {
            return aubio::lib().new_aubio_mfcc(buf, static_cast<uint_t>(n_filters_),
                                               static_cast<uint_t>(n_coeffs_),
                                               static_cast<uint_t>(in.format.samplerate));
        },
        fmt::format("an MFCC of {} filters at {} Hz", n_filters_, in.format.samplerate));
    if (n_filters_ == 40 && in.format.samplerate < aubio::slaney_min_samplerate) {
        const auto nyquist = static_cast<smpl_t>(in.format.samplerate) / 2;
        if (aubio::lib().aubio_mfcc_set_mel_coeffs(mfcc_.get(), 0, nyquist) != 0)
            throw usage_error(fmt::format("{}: aubio cannot build {} mel bands at {} Hz", id(), n_filters_,
                                          in.format.samplerate));
    }
    spectrum_ = aubio::make<aubio::cvec_ptr>([&] { return aubio::lib().new_cvec(buf); }, "a spectrum");
    coeffs_ = aubio::make<aubio::fvec_ptr>(
        [&] { return aubio::lib().new_fvec(static_cast<uint_t>(n_coeffs_)); }, "a buffer");
    row_.assign(static_cast<size_t>(n_coeffs_), 0.0);
    feed_.emplace(in.format.channels, hop_size_);
    result_ = &new_framewise_result("", "", static_cast<size_t>(n_coeffs_), buffer_size_, hop_size_);
}

void aubio_mfcc::on_hop(const fvec_t& hop) {
    aubio::lib().aubio_pvoc_do(pvoc_.get(), &hop, spectrum_.get());
    aubio::lib().aubio_mfcc_do(mfcc_.get(), spectrum_.get(), coeffs_.get());
    for (size_t i = 0; i < row_.size(); ++i) row_[i] = aubio::finite(coeffs_->data[i]);
    append_row(*result_, row_);
}

void aubio_mfcc::on_process(const block_ptr& b) {
    feed_->push(*b, [this](const fvec_t& hop, int64_t) { on_hop(hop); });
}

void aubio_mfcc::on_finish() {
    feed_->flush([this](const fvec_t& hop, int64_t) { on_hop(hop); });
}

}  // namespace timeside
