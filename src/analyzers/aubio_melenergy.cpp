// aubio_melenergy: TimeSide's defaults (1024 / 256, 40 filters with Slaney's coefficients); other
// filter counts, and rates too low for Slaney's bands, get mel bands from 0 Hz to Nyquist.
#include "analyzers/aubio_melenergy.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/errors.hpp"

namespace timeside {

const processor_info& aubio_melenergy::describe() {
    static const processor_info info{
        "aubio_melenergy",
        "Mel Energy (aubio)",
        "0.4.9",
        "Energy in each mel band per hop (aubio's filterbank)",
        "",
        processor_kind::analyzer,
        {aubio::buffer_size_param("buffer_size", "FFT window", 1024),
         aubio::hop_size_param("hop_size", "Frames between two rows (at most buffer_size)", 256),
         integer_param("n_filters", "Mel bands (40: Slaney's Auditory Toolbox bands)", 40, 1, 256)}};
    return info;
}

aubio_melenergy::aubio_melenergy(parameter_set params)
    : analyzer(describe(), std::move(params)),
      buffer_size_(static_cast<int>(parameters().integer("buffer_size"))),
      hop_size_(static_cast<int>(parameters().integer("hop_size"))),
      n_filters_(static_cast<int>(parameters().integer("n_filters"))) {
    aubio::quiet_repeated_warnings();
    aubio::check_hop(id(), parameters(), "hop_size", "buffer_size");
}

void aubio_melenergy::on_setup(const stream_info& in) {
    const auto buf = static_cast<uint_t>(buffer_size_);
    const auto sr = static_cast<smpl_t>(in.format.samplerate);
    pvoc_ = aubio::make<aubio::pvoc_ptr>(
        [&] { return aubio::lib().new_aubio_pvoc(buf, static_cast<uint_t>(hop_size_)); }, "a phase vocoder");
    bank_ = aubio::make<aubio::filterbank_ptr>(
        [&] { return aubio::lib().new_aubio_filterbank(static_cast<uint_t>(n_filters_), buf); },
        "a filterbank");
    const bool slaney = n_filters_ == 40 && in.format.samplerate >= aubio::slaney_min_samplerate;
    const uint_t status = slaney ? aubio::lib().aubio_filterbank_set_mel_coeffs_slaney(bank_.get(), sr)
                                 : aubio::lib().aubio_filterbank_set_mel_coeffs(bank_.get(), sr, 0, sr / 2);
    if (status != 0)  // AUBIO_OK is private to aubio
        throw usage_error(fmt::format("{}: aubio cannot build {} mel bands at {} Hz with buffer_size={}",
                                      id(), n_filters_, in.format.samplerate, buffer_size_));
    spectrum_ = aubio::make<aubio::cvec_ptr>([&] { return aubio::lib().new_cvec(buf); }, "a spectrum");
    energies_ = aubio::make<aubio::fvec_ptr>(
        [&] { return aubio::lib().new_fvec(static_cast<uint_t>(n_filters_)); }, "a buffer");
    row_.assign(static_cast<size_t>(n_filters_), 0.0);
    feed_.emplace(in.format.channels, hop_size_);

    // Each band's peak bin, in Hz: what a display labels the row's columns with.
    std::vector<double> peaks;
    const fmat_t* coeffs = aubio::lib().aubio_filterbank_get_coeffs(bank_.get());
    for (uint_t f = 0; f < coeffs->height; ++f) {
        const smpl_t* band = coeffs->data[f];
        const auto bin = std::max_element(band, band + coeffs->length) - band;
        peaks.push_back(static_cast<double>(bin) * sr / buffer_size_);
    }
    result_ = &new_framewise_result("", "", static_cast<size_t>(n_filters_), buffer_size_, hop_size_,
                                    std::move(peaks));
}

void aubio_melenergy::on_hop(const fvec_t& hop) {
    aubio::lib().aubio_pvoc_do(pvoc_.get(), &hop, spectrum_.get());
    aubio::lib().aubio_filterbank_do(bank_.get(), spectrum_.get(), energies_.get());
    for (size_t i = 0; i < row_.size(); ++i) row_[i] = aubio::finite(energies_->data[i]);
    append_row(*result_, row_);
}

void aubio_melenergy::on_process(const block_ptr& b) {
    feed_->push(*b, [this](const fvec_t& hop, int64_t) { on_hop(hop); });
}

void aubio_melenergy::on_finish() {
    feed_->flush([this](const fvec_t& hop, int64_t) { on_hop(hop); });
}

}  // namespace timeside
