// waveform_data: the fixed-zoom accumulator (audiowaveform's algorithm: 16-bit samples, integer
// mixdown, a pixel every samples_per_pixel frames, the last partial pixel kept) and its parameters.
// Memory is the current pixel plus the finished points, which are the output itself.
#include "graphers/waveform_data.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "core/errors.hpp"
#include "graphers/waveform_data_writer.hpp"

namespace timeside {

namespace {

constexpr int64_t int32_max = std::numeric_limits<int32_t>::max();
constexpr int sample_max = std::numeric_limits<int16_t>::max();
constexpr int sample_min = std::numeric_limits<int16_t>::min();

#ifdef __FAST_MATH__
#error "waveform_data rounds with IEEE arithmetic that -ffast-math would fold away"
#endif

// waveform_data::to_int16, inlined and branch-free so the per-sample loops vectorize. Adding and
// taking away 1.5 * 2^23 leaves the nearest integer, ties to even (the default rounding mode), as
// lrintf does, without a call into libm for every sample.
inline int quantize(float x) {
    float s = x * 32768.0f;  // exact: a power of two
    s = s == s ? s : 0.0f;   // NaN reads as silence
    s = s < -32768.0f ? -32768.0f : s;
    s = s > 32767.0f ? 32767.0f : s;
    constexpr float round_magic = 12582912.0f;
    return static_cast<int>((s + round_magic) - round_magic);
}

// Min/max over n frames of the mono mixdown: audiowaveform's sum of the channels' 16-bit values
// divided by their count, truncating toward zero. C is the channel count when known at compile
// time (1 and 2, the cases that matter for speed), 0 for any other.
template <int C>
void scan_mixdown(const float* s, int64_t n, int channels, int& lo, int& hi) {
    const int ch = C > 0 ? C : channels;
    int l = lo, h = hi;
    for (int64_t i = 0; i < n; ++i) {
        int sum = 0;
        for (int c = 0; c < ch; ++c) sum += quantize(s[i * ch + c]);
        const int v = sum / ch;
        l = std::min(l, v);
        h = std::max(h, v);
    }
    lo = l;
    hi = h;
}

// Min/max of one channel of interleaved frames.
void scan_channel(const float* s, int64_t n, int stride, int& lo, int& hi) {
    int l = lo, h = hi;
    for (int64_t i = 0; i < n; ++i) {
        const int v = quantize(s[i * stride]);
        l = std::min(l, v);
        h = std::max(h, v);
    }
    lo = l;
    hi = h;
}

const parameter_spec& spec_of(const std::string& name) {
    for (const auto& s : waveform_data::describe().parameters)
        if (s.name == name) return s;
    throw std::logic_error("waveform_data: no parameter " + name);
}

}  // namespace

const processor_info& waveform_data::describe() {
    static const processor_info info{
        "waveform_data",
        "Waveform data",
        "1.0",
        "Min/max points at a fixed zoom in BBC audiowaveform's .dat or .json format (peaks.js, waveform-data.js)",
        "",
        processor_kind::grapher,
        {choice_param("format", "audiowaveform's binary .dat or its .json", "dat", {"dat", "json"}),
         integer_param("zoom", "samples per pixel (audiowaveform's --zoom); not with pixels_per_second", 256, 2,
                       int32_max, "samples"),
         integer_param("pixels_per_second",
                       "pixels per second of audio: samples per pixel = sample rate / this, rounded down; "
                       "not given (0): zoom sets the scale",
                       0, 1, int32_max, "px/s"),
         integer_choice_param("bits", "resolution of the points", 16, {8, 16}, "bits"),
         boolean_param("split_channels", "one waveform per channel (version 2) instead of the mono mixdown", false),
         number_param("start", "where the data begins, in seconds from the stream's start", 0, 0, 1e9, "s"),
         number_param("end", "where the data ends, in seconds from the stream's start; not given (0): the stream's end",
                      0, 0, 1e9, "s")}};
    return info;
}

waveform_data::waveform_data(parameter_set params)
    : grapher(describe(), std::move(params)),
      json_(parameters().string("format") == "json"),
      bits_(static_cast<int>(parameters().integer("bits"))),
      split_(parameters().boolean("split_channels")),
      zoom_(parameters().integer("zoom")),
      pixels_per_second_(parameters().given("pixels_per_second") ? parameters().integer("pixels_per_second") : 0),
      start_(parameters().number("start")),
      end_(parameters().given("end") ? parameters().number("end") : 0.0) {
    if (parameters().given("zoom") && parameters().given("pixels_per_second"))
        throw usage_error(fmt::format(
            "waveform_data: zoom and pixels_per_second both set the scale; give one of them (zoom: {} samples "
            "per pixel; pixels_per_second: {})",
            spec_of("zoom").expectation(), spec_of("pixels_per_second").expectation()));
    if (parameters().given("end") && end_ <= start_)
        throw usage_error(fmt::format("waveform_data: end={} must be after start={} (seconds from the stream's start)",
                                      end_, start_));
    spp_ = pixels_per_second_ > 0 ? 0 : static_cast<int>(zoom_);
    min_.assign(1, sample_max);
    max_.assign(1, sample_min);
}

int waveform_data::to_int16(float x) {
    return quantize(x);
}

void waveform_data::setup(const stream_info& in) {
    const int rate = in.format.samplerate;
    if (rate < 1 || in.format.channels < 1)
        throw processing_error(fmt::format("waveform_data: a stream of {} Hz, {} channels has no waveform", rate,
                                           in.format.channels));
    const int64_t spp = pixels_per_second_ > 0 ? rate / pixels_per_second_ : zoom_;
    if (spp < 2)
        throw usage_error(fmt::format(
            "waveform_data: pixels_per_second={} leaves {} samples per pixel at {} Hz (audiowaveform's minimum "
            "is 2); pixels_per_second must be from 1 to {} for this stream",
            pixels_per_second_, spp, rate, std::max(1, rate / 2)));
    const int64_t first = std::llround(start_ * rate);
    if (in.total_frames >= 0 && start_ > 0 && first >= in.total_frames)
        throw usage_error(fmt::format("waveform_data: start={} is past the end of the stream ({:.3f} s)", start_,
                                      in.duration()));

    std::lock_guard lock(mutex_);
    sample_rate_ = rate;
    in_channels_ = in.format.channels;
    out_channels_ = split_ ? in_channels_ : 1;
    spp_ = static_cast<int>(spp);
    first_frame_ = first;
    end_frame_ = end_ > 0 ? std::llround(end_ * rate) : std::numeric_limits<int64_t>::max();
    count_ = 0;
    min_.assign(static_cast<size_t>(out_channels_), sample_max);
    max_.assign(static_cast<size_t>(out_channels_), sample_min);
    points_.clear();
    if (in.total_frames >= 0) {
        // The output's size is known: one allocation (bounded, in case the length is wrong).
        const int64_t frames = std::max<int64_t>(0, std::min(in.total_frames, end_frame_) - first_frame_);
        const int64_t pixels = std::min<int64_t>((frames + spp - 1) / spp, int64_t{1} << 22);
        points_.reserve(static_cast<size_t>(pixels * out_channels_ * 2));
    }
}

void waveform_data::process(const block_ptr& b) {
    std::lock_guard lock(mutex_);
    if (b->channels() != in_channels_)
        throw processing_error(fmt::format("waveform_data: a block of {} channels in a stream of {}",
                                           b->channels(), in_channels_));
    const int64_t pos = b->position();
    const int64_t from = std::max(pos, first_frame_);
    const int64_t to = std::min(pos + b->frames(), end_frame_);
    if (to > from) add(b->samples().data() + (from - pos) * in_channels_, to - from);
}

// audiowaveform's loop, in runs that stay inside one pixel.
void waveform_data::add(const float* s, int64_t n) {
    const int ch = in_channels_;
    while (n > 0) {
        const int64_t run = std::min<int64_t>(n, spp_ - count_);
        if (out_channels_ == 1) {
            if (ch == 1) scan_mixdown<1>(s, run, ch, min_[0], max_[0]);
            else if (ch == 2) scan_mixdown<2>(s, run, ch, min_[0], max_[0]);
            else scan_mixdown<0>(s, run, ch, min_[0], max_[0]);
        } else {
            for (size_t c = 0; c < static_cast<size_t>(ch); ++c)
                scan_channel(s + c, run, ch, min_[c], max_[c]);
        }
        s += run * ch;
        count_ += run;
        n -= run;
        if (count_ == spp_) close_pixel();
    }
}

void waveform_data::close_pixel() {
    for (size_t c = 0; c < static_cast<size_t>(out_channels_); ++c) {
        points_.push_back(static_cast<int16_t>(min_[c]));
        points_.push_back(static_cast<int16_t>(max_[c]));
        min_[c] = sample_max;
        max_[c] = sample_min;
    }
    count_ = 0;
}

void waveform_data::finish() {
    std::lock_guard lock(mutex_);
    if (count_ > 0) close_pixel();
}

int waveform_data::samples_per_pixel() const {
    std::lock_guard lock(mutex_);
    return spp_;
}

int waveform_data::output_channels() const {
    std::lock_guard lock(mutex_);
    return out_channels_;
}

std::vector<unsigned char> waveform_data::render_bytes() const {
    std::vector<int16_t> points;
    waveform_points p;
    {
        std::lock_guard lock(mutex_);
        points = points_;
        p.sample_rate = sample_rate_;
        p.samples_per_pixel = spp_;
        p.channels = out_channels_;
    }
    p.data = points;
    return json_ ? encode_json(p, bits_) : encode_dat(p, bits_);
}

}  // namespace timeside
