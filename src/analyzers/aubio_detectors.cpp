// Each step mirrors aubio 0.4.9's onset.c, tempo.c and phasevoc.c line for line, in the same order
// and with the same integer and float conversions (ROUND is aubio's FLOOR(x + .5)): every number
// comes out bit-identical to aubio's own objects (tests/unit/analyzers/aubio_detectors_test.cpp).
#include "analyzers/aubio_detectors.hpp"

#include <algorithm>
#include <cmath>

namespace timeside::aubio {

namespace {
// aubio_priv.h's ROUND for single precision: floorf of (x + .5) computed in double.
smpl_t aubio_round(smpl_t x) {
    return std::floor(static_cast<smpl_t>(static_cast<double>(x) + .5));
}

fvec_ptr vector(uint_t length) {
    return make<fvec_ptr>([&] { return lib().new_fvec(length); }, "a buffer");
}
}  // namespace

bool reads_phases(std::string_view method) {
    return method == "complex" || method == "complexdomain" || method == "phase" || method == "wphase";
}

spectral_frame::spectral_frame(uint_t buffer, uint_t hop, bool phases)
    : buffer_(buffer),
      hop_(hop),
      phases_(phases),
      fft_(make<fft_ptr>([&] { return lib().new_aubio_fft(buffer); }, "an FFT")),
      window_(make<fvec_ptr>(
          [&] {
              char name[] = "hanningz";  // aubio's phase vocoder window
              return lib().new_aubio_window(name, buffer);
          },
          "a window")),
      data_(vector(buffer)),
      old_(vector(buffer > hop ? buffer - hop : 1)),
      compspec_(vector(buffer)),
      grain_(make<cvec_ptr>([&] { return lib().new_cvec(buffer); }, "a spectrum")) {}

cvec_t& spectral_frame::analyse(const fvec_t& hop) {
    const auto& l = lib();
    // aubio_pvoc_swapbuffers: the last buffer - hop frames, then the new hop.
    const uint_t end = buffer_ > hop_ ? buffer_ - hop_ : 0;
    smpl_t *data = data_->data, *old = old_->data;
    std::copy_n(old, end, data);
    std::copy_n(hop.data, hop_, data + end);
    std::copy_n(data + hop_, end, old);
    l.fvec_weight(data_.get(), window_.get());
    l.fvec_shift(data_.get());
    l.aubio_fft_do_complex(fft_.get(), data_.get(), compspec_.get());
    if (phases_) l.aubio_fft_get_phas(compspec_.get(), grain_.get());
    l.aubio_fft_get_norm(compspec_.get(), grain_.get());
    return *grain_;
}

onset_detector::onset_detector(const std::string& method, uint_t buffer, uint_t hop, uint_t samplerate,
                               smpl_t threshold, smpl_t silence_db, smpl_t minioi_s)
    : frame_(buffer, hop, reads_phases(method)), hop_(hop) {
    const auto& l = lib();
    {
        // aubio's object holds the settings: its defaults for the method, then ours on top.
        auto reference = make<onset_ptr>([&] { return l.new_aubio_onset(method.c_str(), buffer, hop, samplerate); },
                                         "a '" + method + "' onset detector");
        if (threshold > 0) l.aubio_onset_set_threshold(reference.get(), threshold);
        l.aubio_onset_set_silence(reference.get(), silence_db);
        l.aubio_onset_set_minioi_s(reference.get(), minioi_s);
        threshold = l.aubio_onset_get_threshold(reference.get());
        silence_ = l.aubio_onset_get_silence(reference.get());
        minioi_ = l.aubio_onset_get_minioi(reference.get());
        delay_ = l.aubio_onset_get_delay(reference.get());
        whiten_ = l.aubio_onset_get_awhitening(reference.get()) != 0;
        compression_ = l.aubio_onset_get_compression(reference.get());
    }
    descriptor_ = make<specdesc_ptr>([&] { return l.new_aubio_specdesc(method.c_str(), buffer); },
                                     "a '" + method + "' spectral descriptor");
    picker_ = make<peakpicker_ptr>([&] { return l.new_aubio_peakpicker(); }, "a peak picker");
    l.aubio_peakpicker_set_threshold(picker_.get(), threshold);
    whitening_ = make<whitening_ptr>([&] { return l.new_aubio_spectral_whitening(buffer, hop, samplerate); },
                                     "a spectral whitening");
    if (method == "specflux") {  // aubio_onset_set_default_parameters, which has no getter for these
        l.aubio_spectral_whitening_set_relax_time(whitening_.get(), 100);
        l.aubio_spectral_whitening_set_floor(whitening_.get(), 1.);
    }
    desc_ = vector(1);
    picked_ = vector(1);
}

smpl_t onset_detector::process(const fvec_t& hop) {
    const auto& l = lib();
    cvec_t& grain = frame_.analyse(hop);
    if (whiten_) l.aubio_spectral_whitening_do(whitening_.get(), &grain);
    if (compression_ > 0) l.cvec_logmag(&grain, compression_);
    l.aubio_specdesc_do(descriptor_.get(), &grain, desc_.get());
    l.aubio_peakpicker_do(picker_.get(), desc_.get(), picked_.get());
    smpl_t onset = picked_->data[0];
    if (onset > 0) {
        if (l.aubio_silence_detection(&hop, silence_) == 1) {
            onset = 0;
        } else {
            const uint_t at = total_frames_ + static_cast<uint_t>(aubio_round(onset * static_cast<smpl_t>(hop_)));
            if (last_onset_ + minioi_ < at) {
                if (last_onset_ > 0 && delay_ > at)
                    onset = 0;  // start of the stream: an onset before the delay
                else
                    last_onset_ = std::max(delay_, at);
            } else {
                onset = 0;  // within the minimum interval of the last one
            }
        }
    } else if (total_frames_ <= delay_ && l.aubio_silence_detection(&hop, silence_) == 0) {
        // The stream starts with sound: an onset at its first frame.
        if (total_frames_ == 0 || last_onset_ + minioi_ < total_frames_) {
            onset = static_cast<smpl_t>(delay_ / hop_);
            last_onset_ = total_frames_ + delay_;
        }
    }
    total_frames_ += hop_;
    return onset;
}

beat_tracker::beat_tracker(const std::string& method, uint_t buffer, uint_t hop, uint_t samplerate,
                           smpl_t threshold, smpl_t silence_db)
    : frame_(buffer, hop, reads_phases(method)), silence_(silence_db), hop_(hop) {
    const auto& l = lib();
    // new_aubio_tempo: about 6 s of the detection function, analysed every quarter of it.
    winlen_ = std::max<uint_t>(4, l.aubio_next_power_of_two(static_cast<uint_t>(5.8 * samplerate / hop)));
    step_ = winlen_ / 4;
    const std::string descriptor = method == "default" ? "specflux" : method;
    descriptor_ = make<specdesc_ptr>([&] { return l.new_aubio_specdesc(descriptor.c_str(), buffer); },
                                     "a '" + method + "' beat tracker");
    picker_ = make<peakpicker_ptr>([&] { return l.new_aubio_peakpicker(); }, "a peak picker");
    l.aubio_peakpicker_set_threshold(picker_.get(), threshold);
    tracker_ = make<beattracking_ptr>([&] { return l.new_aubio_beattracking(winlen_, hop, samplerate); },
                                      "a beat tracker");
    of_ = vector(1);
    onset_ = vector(1);
    dfframe_ = vector(winlen_);
    out_ = vector(step_);
}

smpl_t beat_tracker::process(const fvec_t& hop) {
    const auto& l = lib();
    l.aubio_specdesc_do(descriptor_.get(), &frame_.analyse(hop), of_.get());
    smpl_t* df = dfframe_->data;
    if (blockpos_ == static_cast<sint_t>(step_) - 1) {
        l.aubio_beattracking_do(tracker_.get(), dfframe_.get(), out_.get());
        std::copy(df + step_, df + winlen_, df);
        std::fill(df + (winlen_ - step_), df + winlen_, smpl_t{0});
        blockpos_ = -1;
    }
    ++blockpos_;
    l.aubio_peakpicker_do(picker_.get(), of_.get(), onset_.get());
    df[winlen_ - step_ + static_cast<uint_t>(blockpos_)] =
        l.aubio_peakpicker_get_thresholded_input(picker_.get())->data[0];
    smpl_t beat = 0;
    const smpl_t* out = out_->data;
    for (uint_t i = 1; static_cast<smpl_t>(i) < out[0]; ++i) {
        if (static_cast<smpl_t>(blockpos_) != std::floor(out[i])) continue;  // not this hop
        beat = out[i] - std::floor(out[i]);
        if (l.aubio_silence_detection(&hop, silence_) == 1) beat = 0;  // a silent beat is not marked
        last_beat_ = total_frames_ + static_cast<uint_t>(aubio_round(beat * static_cast<smpl_t>(hop_)));
    }
    total_frames_ += hop_;
    return beat;
}

smpl_t beat_tracker::bpm() const {
    return lib().aubio_beattracking_get_bpm(tracker_.get());
}

smpl_t beat_tracker::confidence() const {
    return lib().aubio_beattracking_get_confidence(tracker_.get());
}

}  // namespace timeside::aubio
