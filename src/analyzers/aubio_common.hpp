// What the aubio_* analyzers share: buffer/hop parameter specs and their checks, and the feed
// that turns the stream into the mono, non-overlapping hops aubio's objects take (each object
// keeps its own sliding window of buffer_size over them, as TimeSide's frames_adapter arranges).
#pragma once

#include <cmath>
#include <string>
#include <string_view>

#include "analyzers/aubio_handles.hpp"
#include "core/block.hpp"
#include "core/frame_adapter.hpp"
#include "core/parameters.hpp"

namespace timeside::aubio {

// Powers of two from 64 to 32768: aubio's FFT (pvoc, yinfft, specacf...) wants them, and aubio
// built on Ooura (not FFTW) refuses anything else.
parameter_spec buffer_size_param(std::string name, std::string description, int64_t def);
parameter_spec hop_size_param(std::string name, std::string description, int64_t def);

// usage_error unless hop <= buffer (aubio's own condition), naming both parameters.
void check_hop(std::string_view owner, const parameter_set& p, const std::string& hop_name,
               const std::string& buffer_name);

// Routes aubio's warnings to stderr once per distinct message (it repeats some per filter band);
// installed once per process, on the first aubio analyzer's construction.
void quiet_repeated_warnings();

// Slaney's 40 mel bands reach 6854 Hz: below this rate they pass Nyquist, and the analyzers use
// 40 mel bands from 0 Hz to Nyquist instead (TimeSide left those bands empty).
constexpr int slaney_min_samplerate = 13709;

// aubio can answer NaN or Inf on degenerate spectra (log of 0, 0/0); results carry 0 instead
// (numpy's nan_to_num, which TimeSide applies to MFCCs).
inline double finite(double v) {
    return std::isfinite(v) ? v : 0.0;
}

// Mono hops of `hop` frames, copied into an fvec aubio reads; the last one zero-padded.
class hop_feed {
public:
    hop_feed(int channels, int hop)
        : adapter_(channels, hop, hop, true),
          in_(make<fvec_ptr>([&] { return aubio::lib().new_fvec(hop); }, "a buffer")) {}

    // fn(const fvec_t& hop, int64_t first_frame) for every complete hop in b.
    template <class Fn>
    void push(const block& b, Fn&& fn) {
        adapter_.push(b, [&](std::span<const float> w, int64_t first) { deliver(w, first, fn); });
    }
    template <class Fn>
    void flush(Fn&& fn) {
        adapter_.flush([&](std::span<const float> w, int64_t first) { deliver(w, first, fn); });
    }

private:
    template <class Fn>
    void deliver(std::span<const float> w, int64_t first, Fn& fn) {
        std::copy(w.begin(), w.end(), in_->data);
        fn(static_cast<const fvec_t&>(*in_), first);
    }

    frame_adapter adapter_;
    fvec_ptr in_;
};

}  // namespace timeside::aubio
