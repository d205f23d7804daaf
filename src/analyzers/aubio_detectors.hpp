// aubio's onset detector and beat tracker (aubio_onset_do, aubio_tempo_do of aubio 0.4.9) put back
// together from aubio's own parts (FFT, window, spectral descriptor, peak picker, whitening, beat
// tracking), so that the phase vocoder computes phases only for the methods that read them.
#pragma once

#include <string>
#include <string_view>

#include "analyzers/aubio_handles.hpp"

namespace timeside::aubio {

// Whether aubio's spectral descriptor `method` reads the phases of the spectrum (complex, phase,
// wphase, complexdomain); the others (hfc, energy, specdiff, kl, mkl, specflux...) read norms only.
bool reads_phases(std::string_view method);

// aubio_pvoc_do: slide the window by one hop, hanningz weighting, circular shift, aubio's FFT,
// norms; and phases only when asked (each one an atan2f: half the cost of the whole frame).
class spectral_frame {
public:
    spectral_frame(uint_t buffer, uint_t hop, bool phases);
    cvec_t& analyse(const fvec_t& hop);

private:
    uint_t buffer_, hop_;
    bool phases_;
    fft_ptr fft_;
    fvec_ptr window_, data_, old_, compspec_;
    cvec_ptr grain_;
};

// aubio_onset_t's per-hop work on a spectral_frame. Its settings are read back from an aubio onset
// object configured the same way (aubio's defaults per method, then threshold, silence, minimum
// interval), so the two cannot drift apart.
class onset_detector {
public:
    // threshold <= 0 keeps aubio's default for the method.
    onset_detector(const std::string& method, uint_t buffer, uint_t hop, uint_t samplerate, smpl_t threshold,
                   smpl_t silence_db, smpl_t minioi_s);
    // aubio_onset_do's output: non-zero when this hop holds an onset.
    smpl_t process(const fvec_t& hop);
    // aubio_onset_get_last: the last onset's frame, in aubio's 32-bit count of frames fed.
    uint_t last() const { return last_onset_ - delay_; }

private:
    spectral_frame frame_;
    specdesc_ptr descriptor_;
    peakpicker_ptr picker_;
    whitening_ptr whitening_;
    fvec_ptr desc_, picked_;
    smpl_t silence_ = 0, compression_ = 0;
    bool whiten_ = false;
    uint_t hop_, minioi_ = 0, delay_ = 0, total_frames_ = 0, last_onset_ = 0;
};

// aubio_tempo_t's per-hop work on a spectral_frame (aubio's defaults: no delay, 4 tatums a beat).
class beat_tracker {
public:
    beat_tracker(const std::string& method, uint_t buffer, uint_t hop, uint_t samplerate, smpl_t threshold,
                 smpl_t silence_db);
    // aubio_tempo_do's output: non-zero when this hop holds a beat.
    smpl_t process(const fvec_t& hop);
    // aubio_tempo_get_last, _get_bpm, _get_confidence.
    uint_t last() const { return last_beat_; }
    smpl_t bpm() const;
    smpl_t confidence() const;

private:
    spectral_frame frame_;
    specdesc_ptr descriptor_;
    peakpicker_ptr picker_;
    beattracking_ptr tracker_;
    fvec_ptr of_, onset_, dfframe_, out_;
    smpl_t silence_;
    uint_t hop_, winlen_, step_, total_frames_ = 0, last_beat_ = 0;
    sint_t blockpos_ = 0;
};

}  // namespace timeside::aubio
