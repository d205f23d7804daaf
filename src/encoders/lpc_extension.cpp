// lpc_extension: per channel, an order-24 predictor from the history's autocorrelation
// (Levinson-Durbin, with a little white noise and a Gaussian lag window so the filter stays
// stable on pure tones), run forward from the last samples and faded with a raised cosine.
#include "encoders/lpc_extension.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>

namespace timeside {

namespace {

constexpr int order = 24;

// Prediction coefficients a[1..order]: x[t] ~ sum a[j] x[t - j]. False when the signal is silent.
bool predictor(const std::vector<double>& x, std::array<double, order + 1>& a) {
    std::array<double, order + 1> r{};
    const size_t n = x.size();
    for (int k = 0; k <= order; ++k) {
        double sum = 0;
        for (size_t i = static_cast<size_t>(k); i < n; ++i) sum += x[i] * x[i - static_cast<size_t>(k)];
        // The lag window widens each spectral peak a little (~50 Hz at 48 kHz): a pure tone then
        // gives a filter whose poles sit just inside the unit circle, not on it.
        const double w = 0.0065 * k;
        r[static_cast<size_t>(k)] = sum * std::exp(-0.5 * w * w);
    }
    if (!(r[0] > 1e-20)) return false;
    r[0] *= 1.0001;  // white noise 40 dB down: keeps the recursion well conditioned
    a.fill(0);
    double error = r[0];
    std::array<double, order + 1> previous{};
    for (int i = 1; i <= order; ++i) {
        double acc = r[static_cast<size_t>(i)];
        for (int j = 1; j < i; ++j) acc -= a[static_cast<size_t>(j)] * r[static_cast<size_t>(i - j)];
        const double k = acc / error;
        previous = a;
        a[static_cast<size_t>(i)] = k;
        for (int j = 1; j < i; ++j)
            a[static_cast<size_t>(j)] =
                previous[static_cast<size_t>(j)] - k * previous[static_cast<size_t>(i - j)];
        error *= 1 - k * k;
        if (!(error > 0)) return false;
    }
    return true;
}

}  // namespace

std::vector<float> lpc_extension(std::span<const float> history, int channels, int64_t frames) {
    const auto ch = static_cast<size_t>(std::max(channels, 1));
    const auto count = static_cast<size_t>(std::max<int64_t>(frames, 0));
    std::vector<float> out(count * ch, 0.0f);
    const size_t have = history.size() / ch;
    if (have < 2 * order || count == 0) return out;

    std::vector<double> x(have), y;
    std::array<double, order + 1> a{};
    for (size_t c = 0; c < ch; ++c) {
        double peak = 0;
        for (size_t i = 0; i < have; ++i) {
            x[i] = history[i * ch + c];
            peak = std::max(peak, std::abs(x[i]));
        }
        if (!predictor(x, a)) continue;
        y.assign(x.end() - order, x.end());
        std::vector<float> channel(count);
        bool sound = true;
        for (size_t t = 0; t < count && sound; ++t) {
            double p = 0;
            for (int j = 1; j <= order; ++j)
                p += a[static_cast<size_t>(j)] * y[y.size() - static_cast<size_t>(j)];
            // A prediction that outgrows the history is a filter gone wrong: silence instead.
            sound = std::isfinite(p) && std::abs(p) <= 2 * peak;
            y.push_back(p);
            const double fade =
                std::cos(std::numbers::pi / 2 * static_cast<double>(t + 1) / static_cast<double>(count + 1));
            channel[t] = static_cast<float>(p * fade * fade);
        }
        if (!sound) continue;
        for (size_t t = 0; t < count; ++t) out[t * ch + c] = channel[t];
    }
    return out;
}

}  // namespace timeside
