// RAII for libaubio's objects: every new_* has its del_*, held by a unique_ptr so an analyzer
// rebuilt at setup, or thrown out of its constructor, leaks nothing. Used by the aubio_* analyzers.
#pragma once

#include <memory>
#include <string>

#include <aubio/aubio.h>

#include "core/errors.hpp"

namespace timeside::aubio {

template <auto Delete>
struct deleter {
    template <class T>
    void operator()(T* p) const {
        if (p) Delete(p);
    }
};

using fvec_ptr = std::unique_ptr<fvec_t, deleter<del_fvec>>;
using cvec_ptr = std::unique_ptr<cvec_t, deleter<del_cvec>>;
using fmat_ptr = std::unique_ptr<fmat_t, deleter<del_fmat>>;
using pvoc_ptr = std::unique_ptr<aubio_pvoc_t, deleter<del_aubio_pvoc>>;
using pitch_ptr = std::unique_ptr<aubio_pitch_t, deleter<del_aubio_pitch>>;
using onset_ptr = std::unique_ptr<aubio_onset_t, deleter<del_aubio_onset>>;
using tempo_ptr = std::unique_ptr<aubio_tempo_t, deleter<del_aubio_tempo>>;
using mfcc_ptr = std::unique_ptr<aubio_mfcc_t, deleter<del_aubio_mfcc>>;
using filterbank_ptr = std::unique_ptr<aubio_filterbank_t, deleter<del_aubio_filterbank>>;
using specdesc_ptr = std::unique_ptr<aubio_specdesc_t, deleter<del_aubio_specdesc>>;

// aubio answers NULL (after printing its own message) when it refuses a configuration; the
// analyzers validate their parameters first, so a NULL here means something we did not foresee.
template <class Ptr>
Ptr make(typename Ptr::pointer p, const std::string& what) {
    if (!p) throw processing_error("aubio could not create " + what);
    return Ptr(p);
}

}  // namespace timeside::aubio
