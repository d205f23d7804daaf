// dlopen / dlsym of libaubio, once; the handle stays open for the life of the process (aubio's
// objects may live until exit, and FFTW plans it made point into libfftw3f, not into it).
#include "analyzers/aubio_library.hpp"

#include <dlfcn.h>

#include <mutex>
#include <string>

#include "core/errors.hpp"

namespace timeside::aubio {

namespace {

// Debian's libaubio5: the soname the headers we compile against belong to.
constexpr const char* soname = "libaubio.so.5";

library load() {
    void* handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!handle)
        throw processing_error(std::string("the aubio analyzers need ") + soname +
                               " (Debian's libaubio5): " + dlerror());
    library l;
#define TIMESIDE_AUBIO_RESOLVE(f)                                                                        \
    l.f = reinterpret_cast<decltype(l.f)>(dlsym(handle, #f));                                            \
    if (!l.f)                                                                                            \
        throw processing_error(std::string(soname) + " has no " #f ": not the aubio 0.4 this was built " \
                                                                   "for");
    TIMESIDE_AUBIO_FUNCTIONS(TIMESIDE_AUBIO_RESOLVE)
#undef TIMESIDE_AUBIO_RESOLVE
    return l;
}

}  // namespace

const library& lib() {
    // A failed load throws out of the initializer and is retried by the next caller.
    static const library loaded = load();
    return loaded;
}

}  // namespace timeside::aubio
