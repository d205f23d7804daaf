// polyphase_resampler: the filter for phase p (output time p/den past an input sample) holds the
// windowed sinc at each tap's distance from that time, normalised to unit gain so no phase is
// louder than another. Products run on four-float vectors with two accumulators.
#include "encoders/polyphase_resampler.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <mutex>
#include <numbers>
#include <numeric>

namespace timeside {

struct polyphase_resampler::filter_bank {
    int64_t den = 1;       // phases: the output rate over the two rates' gcd
    int64_t step_int = 0;  // input frames per output frame: step_int + step_frac / den
    int64_t step_frac = 0;
    int taps = 0;               // a multiple of 8
    std::vector<float> coeffs;  // phase p's taps at [p * taps, (p + 1) * taps)
};

namespace {

constexpr int up_taps = 80;          // taps when the output rate is the higher one
constexpr double beta = 10.0;        // Kaiser window: some 100 dB of stopband
constexpr double bandwidth = 0.935;  // the cutoff, as a fraction of the lower rate's Nyquist

double bessel_i0(double x) {
    double sum = 1, term = 1;
    for (int k = 1; k < 50; ++k) {
        term *= (x / (2 * k)) * (x / (2 * k));
        sum += term;
        if (term < sum * 1e-17) break;
    }
    return sum;
}

std::shared_ptr<const polyphase_resampler::filter_bank> design(int64_t num, int64_t den) {
    auto bank = std::make_shared<polyphase_resampler::filter_bank>();
    bank->den = den;
    bank->step_int = num / den;
    bank->step_frac = num % den;
    // Going down, the cutoff falls with the output's Nyquist and the filter lengthens to keep
    // the same transition band, in output samples.
    const double ratio = std::min(1.0, static_cast<double>(den) / static_cast<double>(num));
    const double cutoff = bandwidth * ratio;
    bank->taps = static_cast<int>(std::ceil(up_taps / ratio / 8)) * 8;
    const int taps = bank->taps, half = taps / 2;
    bank->coeffs.resize(static_cast<size_t>(den) * static_cast<size_t>(taps));
    const double i0_beta = bessel_i0(beta);
    for (int64_t p = 0; p < den; ++p) {
        float* h = bank->coeffs.data() + static_cast<size_t>(p) * static_cast<size_t>(taps);
        double sum = 0;
        std::vector<double> v(static_cast<size_t>(taps));
        for (int j = 0; j < taps; ++j) {
            // Tap j reads input (at - half + 1 + j): its distance from the output's time.
            const double d =
                static_cast<double>(j - half + 1) - static_cast<double>(p) / static_cast<double>(den);
            const double x = d / half;
            const double window = std::abs(x) >= 1 ? 0 : bessel_i0(beta * std::sqrt(1 - x * x)) / i0_beta;
            const double arg = std::numbers::pi * cutoff * d;
            const double sinc = d == 0 ? 1 : std::sin(arg) / arg;
            v[static_cast<size_t>(j)] = cutoff * sinc * window;
            sum += v[static_cast<size_t>(j)];
        }
        for (int j = 0; j < taps; ++j) h[j] = static_cast<float>(v[static_cast<size_t>(j)] / sum);
    }
    return bank;
}

using v4 = float __attribute__((vector_size(16)));

float dot(const float* h, const float* x, int n) {
    v4 a{}, b{};
    for (int j = 0; j < n; j += 8) {
        v4 h0, h1, x0, x1;
        std::memcpy(&h0, h + j, sizeof h0);
        std::memcpy(&h1, h + j + 4, sizeof h1);
        std::memcpy(&x0, x + j, sizeof x0);
        std::memcpy(&x1, x + j + 4, sizeof x1);
        a += h0 * x0;
        b += h1 * x1;
    }
    const v4 s = a + b;
    return (s[0] + s[1]) + (s[2] + s[3]);
}

}  // namespace

std::unique_ptr<polyphase_resampler> polyphase_resampler::make(int channels, int in_rate, int out_rate) {
    if (channels < 1 || in_rate < 1 || out_rate < 1) return nullptr;
    const int64_t g = std::gcd(in_rate, out_rate);
    const int64_t num = in_rate / g, den = out_rate / g;
    if (den > max_phases) return nullptr;
    // One bank per ratio, shared while any converter uses it (32 mounts at 44.1 kHz: one table).
    static std::mutex mutex;
    static std::map<std::pair<int64_t, int64_t>, std::weak_ptr<const filter_bank>> banks;
    std::shared_ptr<const filter_bank> bank;
    {
        std::lock_guard lock(mutex);
        auto& slot = banks[{num, den}];
        bank = slot.lock();
        if (!bank) slot = bank = design(num, den);
    }
    return std::make_unique<polyphase_resampler>(channels, std::move(bank));
}

polyphase_resampler::polyphase_resampler(int channels, std::shared_ptr<const filter_bank> bank)
    : channels_(channels), bank_(std::move(bank)), history_(static_cast<size_t>(channels)) {
    // Silence before the input: output 0 is centred on input 0.
    const int half = bank_->taps / 2;
    base_ = -(half - 1);
    for (auto& h : history_) h.assign(static_cast<size_t>(half - 1), 0.0f);
}

int64_t polyphase_resampler::latency() const {
    return bank_->taps / 2;
}

void polyphase_resampler::process(const float* in, int64_t frames, std::vector<float>& out) {
    const auto ch = static_cast<size_t>(channels_);
    for (size_t c = 0; c < ch; ++c) {
        auto& h = history_[c];
        const size_t at = h.size();
        h.resize(at + static_cast<size_t>(frames));
        for (int64_t i = 0; i < frames; ++i)
            h[at + static_cast<size_t>(i)] = in[static_cast<size_t>(i) * ch + c];
    }
    received_ += frames;
    const auto& bank = *bank_;
    const int half = bank.taps / 2;
    while (at_ + half < received_) {
        const float* h = bank.coeffs.data() + static_cast<size_t>(phase_) * static_cast<size_t>(bank.taps);
        const auto first = static_cast<size_t>(at_ - (half - 1) - base_);
        for (size_t c = 0; c < ch; ++c) out.push_back(dot(h, history_[c].data() + first, bank.taps));
        at_ += bank.step_int;
        phase_ += bank.step_frac;
        if (phase_ >= bank.den) {
            phase_ -= bank.den;
            ++at_;
        }
    }
    // What no later output reads goes, a few thousand frames at a time.
    const int64_t needed = std::min(at_ - (half - 1), received_) - base_;
    if (needed >= 4096) {
        for (auto& h : history_) h.erase(h.begin(), h.begin() + static_cast<std::ptrdiff_t>(needed));
        base_ += needed;
    }
}

}  // namespace timeside
