// libaubio, opened on first use instead of linked. Debian's libaubio5 links libavcodec for its
// file I/O (which we never use) and through it ~150 shared libraries (x264, x265, aom, rav1e...):
// linked, every timeside process paid ~50 ms and ~20 MiB of RSS loading them before main().
#pragma once

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
    X(aubio_silence_detection) X(aubio_log_set_level_function)
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
