// RAII for libaubio's objects: every new_* has its del_*, held by a unique_ptr so an analyzer
// rebuilt at setup, or thrown out of its constructor, leaks nothing. Used by the aubio_* analyzers.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "analyzers/aubio_library.hpp"
#include "core/errors.hpp"
#include "core/fftw_planner.hpp"

namespace timeside::aubio {

// aubio plans and destroys FFTW plans in its new_* and del_* (pvoc, pitch, onset, tempo, mfcc,
// specdesc): both run under the process's FFTW planner lock, so they never race our own plans.
template <auto Delete>
struct deleter {
    template <class T>
    void operator()(T* p) const {
        if (!p) return;
        std::lock_guard lock(fftw_planner_mutex());
        (lib().*Delete)(p);
    }
};

using fvec_ptr = std::unique_ptr<fvec_t, deleter<&library::del_fvec>>;
using cvec_ptr = std::unique_ptr<cvec_t, deleter<&library::del_cvec>>;
using fmat_ptr = std::unique_ptr<fmat_t, deleter<&library::del_fmat>>;
using pvoc_ptr = std::unique_ptr<aubio_pvoc_t, deleter<&library::del_aubio_pvoc>>;
using pitch_ptr = std::unique_ptr<aubio_pitch_t, deleter<&library::del_aubio_pitch>>;
using onset_ptr = std::unique_ptr<aubio_onset_t, deleter<&library::del_aubio_onset>>;
using tempo_ptr = std::unique_ptr<aubio_tempo_t, deleter<&library::del_aubio_tempo>>;
using mfcc_ptr = std::unique_ptr<aubio_mfcc_t, deleter<&library::del_aubio_mfcc>>;
using filterbank_ptr = std::unique_ptr<aubio_filterbank_t, deleter<&library::del_aubio_filterbank>>;
using specdesc_ptr = std::unique_ptr<aubio_specdesc_t, deleter<&library::del_aubio_specdesc>>;
using fft_ptr = std::unique_ptr<aubio_fft_t, deleter<&library::del_aubio_fft>>;
using peakpicker_ptr = std::unique_ptr<aubio_peakpicker_t, deleter<&library::del_aubio_peakpicker>>;
using whitening_ptr =
    std::unique_ptr<aubio_spectral_whitening_t, deleter<&library::del_aubio_spectral_whitening>>;
using beattracking_ptr = std::unique_ptr<aubio_beattracking_t, deleter<&library::del_aubio_beattracking>>;

// `create` is the new_* call, made under the FFTW planner lock. aubio answers NULL (after
// printing its own message) when it refuses a configuration; the analyzers validate their
// parameters first, so a NULL here means something we did not foresee.
template <class Ptr, class Create>
Ptr make(Create&& create, const std::string& what) {
    typename Ptr::pointer p;
    {
        std::lock_guard lock(fftw_planner_mutex());
        p = create();
    }
    if (!p) throw processing_error("aubio could not create " + what);
    return Ptr(p);
}

}  // namespace timeside::aubio
