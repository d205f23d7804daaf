// Signals computed from the frame count (not accumulated phase): exact after days of running.
#include "server/live/signal_input.hpp"

#include <charconv>
#include <cmath>
#include <numbers>

#include <fmt/format.h>

#include "core/errors.hpp"

namespace timeside::server::live {

namespace {
double parse_number(const std::string& signal, std::string_view text, double low, double high, const char* what) {
    double v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size() || !(v >= low && v <= high))
        throw usage_error(fmt::format("signal '{}': {} must be a number from {} to {}", signal, what, low, high));
    return v;
}
}  // namespace

signal_input::signal_input(std::string signal) : signal_(std::move(signal)) {
    const auto colon = signal_.find(':');
    const std::string name = signal_.substr(0, colon);
    const std::string_view arg = colon == std::string::npos ? std::string_view{}
                                                            : std::string_view(signal_).substr(colon + 1);
    if (name == "silence" && colon == std::string::npos) {
        kind_ = kind::silence;
    } else if (name == "sine" && colon != std::string::npos) {
        kind_ = kind::sine;
        value_ = parse_number(signal_, arg, 1, 20000, "the frequency (Hz)");
    } else if (name == "clicks" && colon != std::string::npos) {
        kind_ = kind::clicks;
        value_ = parse_number(signal_, arg, 1, 600, "the tempo (BPM)");
    } else {
        throw usage_error(fmt::format("signal '{}' is not one of: sine:<Hz> (sine:440), clicks:<BPM> (clicks:120), silence",
                                      signal_));
    }
}

void signal_input::start(audio_format format) {
    format_ = format;
    frame_ = 0;
}

live_input::status signal_input::read(std::vector<float>& out, int64_t max_frames, std::chrono::milliseconds) {
    const int ch = format_.channels;
    const double rate = format_.samplerate;
    const size_t base = out.size();
    out.resize(base + static_cast<size_t>(max_frames * ch), 0.0f);
    if (kind_ != kind::silence) {
        const auto beat = static_cast<int64_t>(std::llround(rate * 60.0 / (value_ > 0 ? value_ : 1)));
        const auto click = static_cast<int64_t>(std::llround(rate * click_seconds));
        for (int64_t i = 0; i < max_frames; ++i) {
            const int64_t n = frame_ + i;
            double v = 0;
            if (kind_ == kind::sine) {
                // The phase from n in long double, reduced to one cycle: no drift, bounded arguments.
                long double cycles = static_cast<long double>(value_) * n / format_.samplerate;
                cycles -= std::floor(cycles);
                v = sine_amplitude * std::sin(2 * std::numbers::pi * static_cast<double>(cycles));
            } else if (const int64_t k = n % beat; k < click) {
                const double t = static_cast<double>(k) / rate;
                v = click_amplitude * std::cos(2 * std::numbers::pi * click_frequency * t) *
                    (1.0 - static_cast<double>(k) / static_cast<double>(click));
            }
            for (int c = 0; c < ch; ++c) out[base + static_cast<size_t>(i * ch + c)] = static_cast<float>(v);
        }
    }
    frame_ += max_frames;
    return status::data;
}

}  // namespace timeside::server::live
