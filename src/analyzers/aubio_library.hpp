// libaubio, opened on first use instead of linked. Debian's libaubio5 links libavcodec for its
// file I/O (which we never use) and through it ~150 shared libraries (x264, x265, aom, rav1e...):
// linked, every timeside process paid ~50 ms and ~20 MiB of RSS loading them before main().
#pragma once

// The "unstable" declarations too: aubio_detectors rebuilds onset and tempo from aubio's parts
// (FFT, window, peak picker, whitening, beat tracking), which libaubio.so.5 exports.
#ifndef AUBIO_UNSTABLE
#define AUBIO_UNSTABLE 1
#endif
#include <aubio/aubio.h>

namespace timeside::aubio {

// Every libaubio function the aubio_* analyzers call (decltype only names them: no link-time
// reference to libaubio remains).
// clang-format off
#define TIMESIDE_AUBIO_FUNCTIONS(X)                                                                   \
    X(new_fvec) X(del_fvec) X(new_cvec) X(del_cvec) X(del_fmat)                                       \
    X(new_aubio_pvoc) X(del_aubio_pvoc) X(aubio_pvoc_do)                                              \
    X(new_aubio_pitch) X(del_aubio_pitch) X(aubio_pitch_do) X(aubio_pitch_set_unit)                   \
    X(aubio_pitch_set_tolerance) X(aubio_pitch_set_silence) X(aubio_pitch_get_confidence)             \
    X(new_aubio_onset) X(del_aubio_onset) X(aubio_onset_do) X(aubio_onset_set_threshold)              \
    X(aubio_onset_set_silence) X(aubio_onset_set_minioi_s) X(aubio_onset_get_last)                    \
    X(new_aubio_tempo) X(del_aubio_tempo) X(aubio_tempo_do) X(aubio_tempo_set_threshold)              \
    X(aubio_tempo_set_silence) X(aubio_tempo_get_last) X(aubio_tempo_get_confidence)                  \
    X(aubio_tempo_get_bpm)                                                                            \
    X(new_aubio_mfcc) X(del_aubio_mfcc) X(aubio_mfcc_do) X(aubio_mfcc_set_mel_coeffs)                 \
    X(new_aubio_filterbank) X(del_aubio_filterbank) X(aubio_filterbank_do)                            \
    X(aubio_filterbank_set_mel_coeffs) X(aubio_filterbank_set_mel_coeffs_slaney)                      \
    X(aubio_filterbank_get_coeffs)                                                                    \
    X(new_aubio_specdesc) X(del_aubio_specdesc) X(aubio_specdesc_do)                                  \
    X(aubio_silence_detection) X(aubio_log_set_level_function)                                        \
    X(aubio_onset_get_threshold) X(aubio_onset_get_delay) X(aubio_onset_get_minioi)                   \
    X(aubio_onset_get_silence) X(aubio_onset_get_awhitening) X(aubio_onset_get_compression)           \
    X(new_aubio_fft) X(del_aubio_fft) X(aubio_fft_do_complex) X(aubio_fft_get_norm)                   \
    X(aubio_fft_get_phas) X(new_aubio_window) X(fvec_weight) X(fvec_shift) X(cvec_logmag)             \
    X(new_aubio_peakpicker) X(del_aubio_peakpicker) X(aubio_peakpicker_do)                            \
    X(aubio_peakpicker_set_threshold) X(aubio_peakpicker_get_thresholded_input)                       \
    X(new_aubio_spectral_whitening) X(del_aubio_spectral_whitening) X(aubio_spectral_whitening_do)    \
    X(aubio_spectral_whitening_set_relax_time) X(aubio_spectral_whitening_set_floor)                  \
    X(new_aubio_beattracking) X(del_aubio_beattracking) X(aubio_beattracking_do)                      \
    X(aubio_beattracking_get_bpm) X(aubio_beattracking_get_confidence) X(aubio_next_power_of_two)
// clang-format on

struct library {
#define TIMESIDE_AUBIO_MEMBER(f) decltype(&::f) f = nullptr;
    TIMESIDE_AUBIO_FUNCTIONS(TIMESIDE_AUBIO_MEMBER)
#undef TIMESIDE_AUBIO_MEMBER
};

// Opens libaubio.so.5 once per process (thread-safe) and resolves every function; throws
// processing_error naming the library and the loader's reason when it cannot.
const library& lib();

}  // namespace timeside::aubio
