// spectrogram_render: samples go into a ring of the last fft_size frames (mixed to mono, or one
// ring per channel); whenever the ring ends half a window past the next scheduled frame centre,
// that frame is windowed, transformed, mapped to rows and added to its pixel column. Drawing
// converts each column's mean power to dB at render time only.
#include "graphers/spectrogram_render.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "analyzers/spectrogram.hpp"  // fftw_r2c: FFTW plans under the process-wide planner lock
#include "core/errors.hpp"
#include "graphers/png_surface.hpp"

namespace timeside {

namespace {

std::vector<int64_t> fft_sizes() {
    std::vector<int64_t> out;
    for (int64_t n = 256; n <= 32768; n *= 2) out.push_back(n);
    return out;
}

}  // namespace

std::vector<parameter_spec> spectrogram_render::parameter_specs() {
    return {integer_param("width", "image width", 1024, 1, 16384, "px"),
            integer_param("height", "image height", 256, 1, 4096, "px"),
            integer_choice_param("fft_size", "FFT length (Hann window of the same length)", 4096, fft_sizes(),
                                 "frames"),
            number_param("dynamic_range", "levels shown, in dB below full scale; quieter is the floor colour", 120,
                         1, 200, "dB"),
            choice_param("colormap", "colours from the floor to 0 dB", colormap_names().front(), colormap_names()),
            color_param("bg_color", "colour where there is no data yet", "#000000"),
            boolean_param("split_channels", "one horizontal lane per channel (first on top) instead of the mono mix",
                          false)};
}

spectrogram_render::spectrogram_render(const processor_info& info, parameter_set params, frequency_scale scale)
    : grapher(info, std::move(params)),
      scale_(scale),
      width_(static_cast<int>(parameters().integer("width"))),
      height_(static_cast<int>(parameters().integer("height"))),
      fft_size_(static_cast<int>(parameters().integer("fft_size"))),
      dynamic_range_(parameters().number("dynamic_range")),
      colors_(colormap(parameters().string("colormap"))),
      background_(parameters().color("bg_color")),
      split_channels_(parameters().boolean("split_channels")),
      columns_(width_, height_, -1, fft_size_ / 2) {}

spectrogram_render::~spectrogram_render() = default;

int64_t spectrogram_render::hop() const {
    std::lock_guard lock(mutex_);
    return columns_.hop();
}

void spectrogram_render::setup(const stream_info& in) {
    const int channels = in.format.channels;
    const int lanes = split_channels_ ? channels : 1;
    if (height_ < lanes)
        throw usage_error(fmt::format("{}: split_channels draws {} lanes: height must be at least {} (it is {})",
                                      id(), lanes, lanes, height_));
    if (!fft_) fft_ = std::make_unique<fftw_r2c>(fft_size_);  // one plan for every run
    std::lock_guard lock(mutex_);
    lanes_ = lanes;
    lane_top_.resize(static_cast<size_t>(lanes) + 1);
    axes_.clear();
    for (int l = 0; l <= lanes; ++l) lane_top_[static_cast<size_t>(l)] = l * height_ / lanes;
    for (int l = 0; l < lanes; ++l)
        axes_.emplace_back(scale_, lane_top_[static_cast<size_t>(l) + 1] - lane_top_[static_cast<size_t>(l)],
                           in.format.samplerate, fft_size_);
    ring_.assign(static_cast<size_t>(lanes) * static_cast<size_t>(fft_size_), 0.0f);
    pos_ = seen_ = 0;
    if (window_.empty()) {
        // The periodic Hann window; a full-scale sine centred on a bin then reads |X| = sum(w)/2.
        window_.resize(static_cast<size_t>(fft_size_));
        double sum = 0;
        for (int n = 0; n < fft_size_; ++n) {
            const double w = 0.5 - 0.5 * std::cos(2.0 * M_PI * n / fft_size_);
            window_[static_cast<size_t>(n)] = static_cast<float>(w);
            sum += w;
        }
        power_scale_ = static_cast<float>(4.0 / (sum * sum));
    }
    power_.assign(static_cast<size_t>(fft_size_ / 2 + 1), 0.0f);
    values_.assign(static_cast<size_t>(height_), 0.0f);
    columns_.reset(width_, height_, in.total_frames, fft_size_ / 2);
    ready_ = true;
}

void spectrogram_render::process(const block_ptr& b) {
    std::lock_guard lock(mutex_);
    seen_ += b->frames();
    push(b->samples().data(), b->frames(), b->channels(), false);
}

// Frames into the rings, emitting every frame whose window is complete.
void spectrogram_render::push(const float* s, int64_t frames, int channels, bool zeros) {
    const auto n_fft = static_cast<int64_t>(fft_size_);
    const int64_t half = n_fft / 2;
    const float scale = 1.0f / static_cast<float>(channels);
    while (frames > 0) {
        const int64_t end = columns_.next_centre() + half;  // the next frame's window ends here
        const int64_t slot = pos_ % n_fft;
        const int64_t n = std::min({frames, end - pos_, n_fft - slot});
        for (int l = 0; l < lanes_; ++l) {
            float* ring = ring_.data() + static_cast<size_t>(l) * static_cast<size_t>(n_fft) + slot;
            if (zeros) {
                std::fill_n(ring, n, 0.0f);
            } else if (lanes_ > 1 || channels == 1) {
                const float* src = s + (lanes_ > 1 ? l : 0);
                for (int64_t i = 0; i < n; ++i) ring[i] = src[i * channels];
            } else if (channels == 2) {
                for (int64_t i = 0; i < n; ++i) ring[i] = (s[2 * i] + s[2 * i + 1]) * 0.5f;
            } else {
                for (int64_t i = 0; i < n; ++i) {
                    float sum = 0;
                    for (int c = 0; c < channels; ++c) sum += s[i * channels + c];
                    ring[i] = sum * scale;
                }
            }
        }
        pos_ += n;
        frames -= n;
        if (!zeros) s += n * channels;
        if (pos_ == end) emit_frame();
    }
}

void spectrogram_render::emit_frame() {
    const auto n_fft = static_cast<size_t>(fft_size_);
    const size_t start = static_cast<size_t>(pos_) % n_fft;  // the ring's oldest frame
    auto in = fft_->input();
    for (int l = 0; l < lanes_; ++l) {
        const float* ring = ring_.data() + static_cast<size_t>(l) * n_fft;
        // Unwrapped: ring[start..] then ring[..start]. Before the stream's start the ring holds
        // zeros, so the first frames are zero-padded on the left.
        const size_t first = n_fft - start;
        for (size_t i = 0; i < first; ++i) in[i] = ring[start + i] * window_[i];
        for (size_t i = first; i < n_fft; ++i) in[i] = ring[i - first] * window_[i];
        fft_->execute();
        const auto out = fft_->output();
        for (size_t k = 0; k < out.size(); ++k) {
            const float p = (out[k][0] * out[k][0] + out[k][1] * out[k][1]) * power_scale_;
            // NaN or infinite input samples would poison the column for good: they count as silence.
            power_[k] = p <= std::numeric_limits<float>::max() ? p : 0.0f;
        }
        const auto top = static_cast<size_t>(lane_top_[static_cast<size_t>(l)]);
        const auto rows = static_cast<size_t>(axes_[static_cast<size_t>(l)].rows());
        axes_[static_cast<size_t>(l)].map(power_, std::span<float>(values_).subspan(top, rows));
    }
    columns_.add(values_);
}

void spectrogram_render::finish() {
    std::lock_guard lock(mutex_);
    if (!ready_) return;
    // Every frame centred inside the stream, zero-padded past its end.
    while (columns_.next_centre() < seen_) push(nullptr, columns_.next_centre() + fft_size_ / 2 - pos_, 1, true);
    columns_.finish(seen_);
}

std::vector<unsigned char> spectrogram_render::render_bytes() const {
    auto surface = make_image_surface(width_, height_);
    const uint32_t bg = static_cast<uint32_t>(background_.r) << 16 | static_cast<uint32_t>(background_.g) << 8 |
                        background_.b;
    cairo_surface_flush(surface.get());
    unsigned char* data = cairo_image_surface_get_data(surface.get());
    const auto stride = static_cast<size_t>(cairo_image_surface_get_stride(surface.get()));
    auto put = [&](int x, int y, uint32_t v) {  // RGB24 pixels are native-endian 0x00RRGGBB
        std::memcpy(data + static_cast<size_t>(y) * stride + static_cast<size_t>(x) * 4, &v, 4);
    };
    std::vector<int> source(static_cast<size_t>(width_), -1);
    std::lock_guard lock(mutex_);
    if (ready_) columns_.fit(source);
    // dB to colour index: -dynamic_range (or less) -> 0, 0 dB (or more) -> 255.
    const double index_per_db = 255.0 / dynamic_range_;
    for (int x = 0; x < width_; ++x) {
        const int c = source[static_cast<size_t>(x)];
        if (c < 0) {
            for (int y = 0; y < height_; ++y) put(x, y, bg);
            continue;
        }
        for (int l = 0; l < lanes_; ++l) {
            const int top = lane_top_[static_cast<size_t>(l)], bottom = lane_top_[static_cast<size_t>(l) + 1];
            for (int y = top; y < bottom; ++y) {
                // Storage row top + r holds axis row r (0 = lowest frequency, drawn at the bottom).
                const float p = columns_.mean(c, top + (bottom - 1 - y));
                int index = 0;
                if (p > 0) {
                    const double db = 10.0 * std::log10(static_cast<double>(p));
                    index = static_cast<int>(std::lround(std::clamp((db + dynamic_range_) * index_per_db, 0.0, 255.0)));
                }
                put(x, y, colors_[static_cast<size_t>(index)]);
            }
        }
    }
    cairo_surface_mark_dirty(surface.get());
    return encode_png(surface.get());
}

const processor_info& spectrogram_log::describe() {
    static const processor_info info{"spectrogram_log",
                                     "Spectrogram Log",
                                     "1.0",
                                     "Spectrogram on a logarithmic frequency axis from 100 Hz to Nyquist (PNG)",
                                     "",
                                     processor_kind::grapher,
                                     parameter_specs()};
    return info;
}

spectrogram_log::spectrogram_log(parameter_set params)
    : spectrogram_render(describe(), std::move(params), frequency_scale::logarithmic) {}

const processor_info& spectrogram_lin::describe() {
    static const processor_info info{"spectrogram_lin",
                                     "Spectrogram Lin",
                                     "1.0",
                                     "Spectrogram on a linear frequency axis from 0 Hz to Nyquist (PNG)",
                                     "",
                                     processor_kind::grapher,
                                     parameter_specs()};
    return info;
}

spectrogram_lin::spectrogram_lin(parameter_set params)
    : spectrogram_render(describe(), std::move(params), frequency_scale::linear) {}

}  // namespace timeside
