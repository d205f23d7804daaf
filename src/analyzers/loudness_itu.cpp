// loudness_itu: libebur128 fed block by block, split at its own 100 ms boundaries so that every
// momentary (400 ms) and short-term (3 s) value is taken exactly where its window ends, whatever the
// block size. Python TimeSide's version weighted channels by their index; libebur128 maps them.
#include "analyzers/loudness_itu.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/errors.hpp"

namespace timeside {

const processor_info& loudness_itu::describe() {
    static const processor_info info{
        "loudness_itu",
        "Loudness ITU",
        "1.0",
        "EBU R128 loudness (ITU-R BS.1770-4, libebur128): integrated, momentary, short-term, range, peaks",
        "LUFS",
        processor_kind::analyzer,
        {boolean_param("true_peak",
                       "measure the true peak (4x oversampled below 96 kHz); off, the analysis takes "
                       "a third less time and gives no true_peak result",
                       true)}};
    return info;
}

loudness_itu::loudness_itu(parameter_set params)
    : analyzer(describe(), std::move(params)), measure_true_peak_(parameters().boolean("true_peak")) {}

// Orders as GStreamer (and WAV, and ffmpeg's default layouts) deliver them. Weights per BS.1770-4:
// 1.41 for loudspeakers between 60° and 120° off centre (surrounds at ±110°, sides at ±90°), 1.0
// elsewhere (rears at ±135° and 180°), none for the LFE. ffmpeg weights rears 1.41 too, so 6.1 and
// 7.1 read slightly lower here than in ffmpeg; up to 5.1 both agree.
int loudness_itu::channel_type(int channel, int channels) {
    static constexpr int none = EBUR128_UNUSED;
    static constexpr int layouts[max_channels][max_channels] = {
        {EBUR128_CENTER},
        {EBUR128_LEFT, EBUR128_RIGHT},
        {EBUR128_LEFT, EBUR128_RIGHT, EBUR128_CENTER},
        {EBUR128_LEFT, EBUR128_RIGHT, EBUR128_LEFT_SURROUND, EBUR128_RIGHT_SURROUND},
        {EBUR128_LEFT, EBUR128_RIGHT, EBUR128_CENTER, EBUR128_LEFT_SURROUND, EBUR128_RIGHT_SURROUND},
        {EBUR128_LEFT, EBUR128_RIGHT, EBUR128_CENTER, none, EBUR128_LEFT_SURROUND, EBUR128_RIGHT_SURROUND},
        {EBUR128_LEFT, EBUR128_RIGHT, EBUR128_CENTER, none, EBUR128_Mp180, EBUR128_Mp090, EBUR128_Mm090},
        {EBUR128_LEFT, EBUR128_RIGHT, EBUR128_CENTER, none, EBUR128_Mp135, EBUR128_Mm135, EBUR128_Mp090,
         EBUR128_Mm090},
    };
    if (channels < 1 || channels > max_channels || channel < 0 || channel >= channels) return none;
    return layouts[channels - 1][channel];
}

void loudness_itu::on_setup(const stream_info& in) {
    const int channels = in.format.channels;
    const int rate = in.format.samplerate;
    if (channels < 1 || channels > max_channels)
        throw usage_error(
            fmt::format("loudness_itu: the input has {} channels; it measures 1 to {} "
                        "(mono to 7.1): remix it with --channels",
                        channels, max_channels));
    // Integrated loudness, 3 s of history for the short-term windows, sample peaks; the loudness
    // range and the true peak are measured here (see the header for why).
    int mode = EBUR128_MODE_I | EBUR128_MODE_S | EBUR128_MODE_SAMPLE_PEAK;
    // Exact gating needs every block's energy: ten numbers a second, nothing for a file, but a
    // live stream never ends; there libebur128's histogram (0.1 LU bins) keeps memory flat.
    if (in.total_frames < 0) mode |= EBUR128_MODE_HISTOGRAM;
    state_.reset(ebur128_init(static_cast<unsigned>(channels), static_cast<unsigned long>(rate), mode));
    if (!state_) throw usage_error(fmt::format("loudness_itu: libebur128 cannot measure {} Hz audio", rate));
    for (int c = 0; c < channels; ++c)
        ebur128_set_channel(state_.get(), static_cast<unsigned>(c), channel_type(c, channels));

    step_ = (rate + 5) / 10;  // libebur128's samples_in_100ms
    step_energies_ = rate / 10 == step_;
    phase_ = steps_ = frames_ = 0;
    energy_.fill(0.0);
    range_ = {};
    if (measure_true_peak_) true_peak_.setup(rate, channels);
    momentary_ = &new_framewise_result("block_loudness", "Block Loudness", 0,
                                       static_cast<int>(momentary_steps * step_), static_cast<int>(step_));
    short_term_ = &new_framewise_result("short_term", "Short-term Loudness", 0,
                                        static_cast<int>(short_term_steps * step_), static_cast<int>(step_));
}

// Whole runs of the block go to libebur128 (no copy), cut only where a 100 ms step ends: there
// its ring buffer ends exactly at the step, and its last gating block has just been taken.
void loudness_itu::on_process(const block_ptr& b) {
    const float* p = b->samples().data();
    const int channels = b->channels();
    if (measure_true_peak_) true_peak_.add(p, b->frames());
    int64_t left = b->frames();
    while (left > 0) {
        const int64_t n = std::min(left, step_ - phase_);
        if (ebur128_add_frames_float(state_.get(), p, static_cast<size_t>(n)) != EBUR128_SUCCESS)
            throw processing_error("loudness_itu: libebur128 ran out of memory");
        p += n * channels;
        left -= n;
        phase_ += n;
        frames_ += n;
        if (phase_ == step_) {
            phase_ = 0;
            ++steps_;
            on_step();
        }
    }
}

namespace {
double to_lufs(double energy) {
    return energy > 0 ? 10 * std::log10(energy) - 0.691 : -HUGE_VAL;  // libebur128's formula
}
double to_energy(double lufs) {
    return std::isfinite(lufs) ? std::pow(10.0, (lufs + 0.691) / 10) : 0.0;
}
double finite_or(double v, double floor) {
    return std::isfinite(v) ? std::max(v, floor) : floor;
}
double to_db(double amplitude, double floor) {
    return amplitude > 0 && std::isfinite(amplitude) ? std::max(floor, 20 * std::log10(amplitude)) : floor;
}
}  // namespace

void loudness_itu::on_step() {
    if (step_energies_) {
        // The step's own energy, back from libebur128's loudness of its last 100 ms (exact to
        // ~1e-15: log and exp round trip in double).
        double l = -HUGE_VAL;
        ebur128_loudness_window(state_.get(), 100, &l);
        energy_[static_cast<size_t>(steps_ % short_term_steps)] = to_energy(l);
    }
    // Row i covers steps i .. i + window - 1: it is stamped with its window's first frame.
    if (steps_ >= momentary_steps) {
        const double row[] = {finite_or(to_lufs(window_energy(momentary_steps)), floor_lufs)};
        append_row(*momentary_, row);
    }
    if (steps_ >= short_term_steps) {
        const double e = window_energy(short_term_steps);
        range_.add(e);
        const double row[] = {finite_or(to_lufs(e), floor_lufs)};
        append_row(*short_term_, row);
    }
}

// The energy of the window that ends now: the mean of its steps' energies, or libebur128's own
// momentary / short-term sum (rates that are not multiples of 10 Hz, and the padded window of an
// input shorter than one window: libebur128's buffer holds zeros past what it was given).
double loudness_itu::window_energy(int steps) const {
    if (step_energies_ && steps_ >= steps) {
        double sum = 0;
        for (int k = 0; k < steps; ++k) sum += energy_[static_cast<size_t>((steps_ - k) % short_term_steps)];
        return sum / steps;
    }
    double l = -HUGE_VAL;
    if (steps == momentary_steps)
        ebur128_loudness_momentary(state_.get(), &l);
    else
        ebur128_loudness_shortterm(state_.get(), &l);
    return to_energy(l);
}

void loudness_itu::on_finish() {
    ebur128_state* st = state_.get();
    // An input shorter than a window still gets one value: that window, zero-padded, at frame 0.
    if (frames_ > 0 && steps_ < momentary_steps) {
        const double row[] = {finite_or(to_lufs(window_energy(momentary_steps)), floor_lufs)};
        append_row(*momentary_, row);
    }
    if (frames_ > 0 && steps_ < short_term_steps) {
        const double row[] = {finite_or(to_lufs(window_energy(short_term_steps)), floor_lufs)};
        append_row(*short_term_, row);
    }

    auto global = [&](const char* suffix, const char* label, const char* unit, double value) {
        auto& r = new_result(data_mode::value, time_mode::global, suffix, label);
        r.id.unit = unit;
        r.data.value = {value};
    };
    double v = -HUGE_VAL;
    ebur128_loudness_global(st, &v);
    global("gated_loudness", "Gated Loudness", "LUFS", finite_or(v, gate_lufs));
    v = gate_lufs;                       // libebur128's answer, too, when no block passed the absolute gate
    ebur128_relative_threshold(st, &v);  // 10 LU under the gated blocks' power: -80 LUFS at least
    global("relative_threshold", "Relative Threshold", "LUFS", std::isfinite(v) ? v : gate_lufs);
    global("loudness_range", "Loudness Range", "LU", range_.range());

    // Peaks over all channels (the LFE included), as ffmpeg's summary gives them.
    double sample_peak = 0;
    for (unsigned c = 0; c < st->channels; ++c) {
        double p = 0;
        if (ebur128_sample_peak(st, c, &p) == EBUR128_SUCCESS && std::isfinite(p))
            sample_peak = std::max(sample_peak, p);
    }
    global("sample_peak", "Sample Peak", "dBFS", to_db(sample_peak, floor_db));
    if (measure_true_peak_) {
        true_peak_.flush();
        global("true_peak", "True Peak", "dBTP", to_db(std::max(sample_peak, true_peak_.peak()), floor_db));
    }
}

void loudness_range_meter::add(double energy) {
    const double lufs = to_lufs(energy);
    if (!(lufs >= lowest_lufs)) return;  // the absolute gate (and NaN)
    const int bin = std::min(bins - 1, static_cast<int>((lufs - lowest_lufs) / bin_lu));
    ++counts_[static_cast<size_t>(bin)];
    energy_sum_ += energy;
    ++values_;
}

// Percentiles by nearest rank over the values above the relative gate, as libebur128 takes them.
double loudness_range_meter::range() const {
    if (values_ == 0) return 0.0;
    const double gate = to_lufs(energy_sum_ / static_cast<double>(values_)) - 20;
    const int first =
        std::clamp(static_cast<int>(std::ceil((gate - lowest_lufs) / bin_lu - 0.5)), 0, bins - 1);
    uint64_t kept = 0;
    for (int i = first; i < bins; ++i) kept += counts_[static_cast<size_t>(i)];
    if (kept == 0) return 0.0;
    auto value_at_rank = [&](uint64_t rank) {
        uint64_t seen = 0;
        for (int i = first; i < bins; ++i) {
            seen += counts_[static_cast<size_t>(i)];
            if (seen > rank) return lowest_lufs + (i + 0.5) * bin_lu;
        }
        return lowest_lufs + bins * bin_lu;
    };
    const auto low = static_cast<uint64_t>(static_cast<double>(kept - 1) * 0.10 + 0.5);
    const auto high = static_cast<uint64_t>(static_cast<double>(kept - 1) * 0.95 + 0.5);
    return value_at_rank(high) - value_at_rank(low);
}

namespace {
double bessel_i0(double x) {  // power series; converges fast for the betas used here
    double sum = 1, term = 1;
    for (int k = 1; k < 50; ++k) {
        term *= (x / (2 * k)) * (x / (2 * k));
        sum += term;
    }
    return sum;
}
}  // namespace

void true_peak_meter::setup(int samplerate, int channels) {
    factor_ = samplerate < 96000 ? 4 : samplerate < 192000 ? 2 : 1;
    channels_ = channels;
    peak_ = 0;
    // Phase k interpolates at k/factor of a sample past the window's middle (taps/2 - 1): a sinc
    // under a Kaiser window (beta 6: about 60 dB of image rejection, flat to 0.44 of the rate),
    // each phase scaled to unit DC gain so that a constant never reads above itself.
    constexpr double beta = 6.0, half = taps / 2.0;
    phases_.assign(static_cast<size_t>(factor_ - 1), {});
    for (int k = 1; k < factor_; ++k) {
        double sum = 0;
        auto& c = phases_[static_cast<size_t>(k - 1)];
        for (int j = 0; j < taps; ++j) {
            const double u = (half - 1) + static_cast<double>(k) / factor_ - j;
            const double r = u / half;
            const double w =
                std::fabs(r) < 1 ? bessel_i0(beta * std::sqrt(1 - r * r)) / bessel_i0(beta) : 0.0;
            const double sinc = u == 0 ? 1.0 : std::sin(M_PI * u) / (M_PI * u);
            c[static_cast<size_t>(j)] = static_cast<float>(sinc * w);
            sum += sinc * w;
        }
        for (auto& v : c) v = static_cast<float>(v / sum);
    }
    work_.assign(static_cast<size_t>(channels), std::vector<float>(taps - 1, 0.0f));
}

namespace {
using phase_table = std::vector<std::array<float, true_peak_meter::taps>>;

// The highest |interpolated value| over `n` outputs of every phase. Sixteen outputs of every phase
// at a time, each in a lane of its own: the inner loops are vertical multiply-adds the compiler
// vectorises without reassociating a sum, and the phases' independent accumulators hide the add
// latency (one running sum per output would wait on it at every tap). AVX2 where the CPU has it,
// a clone chosen at load time (of the functions below: clang 14 clones no templates).
template <int phases>
[[gnu::always_inline]] inline float interpolated_peak(const float* x, int64_t n, const phase_table& table) {
    constexpr int lanes = 16, taps = true_peak_meter::taps;
    float peak = 0;
    int64_t m = 0;
    for (; m + lanes <= n; m += lanes) {
        float acc[phases][lanes] = {};
        for (int j = 0; j < taps; ++j)
            for (int k = 0; k < phases; ++k) {
                const float c = table[static_cast<size_t>(k)][static_cast<size_t>(j)];
                for (int l = 0; l < lanes; ++l) acc[k][l] += c * x[m + l + j];
            }
        for (const auto& a : acc)
            for (float v : a) peak = std::max(peak, std::fabs(v));
    }
    for (; m < n; ++m)
        for (int k = 0; k < phases; ++k) {
            float acc = 0;
            for (int j = 0; j < taps; ++j)
                acc += table[static_cast<size_t>(k)][static_cast<size_t>(j)] * x[m + j];
            peak = std::max(peak, std::fabs(acc));
        }
    return peak;
}

__attribute__((target_clones("avx2", "default"))) float interpolated_peak_3(const float* x, int64_t n,
                                                                            const phase_table& table) {
    return interpolated_peak<3>(x, n, table);
}

__attribute__((target_clones("avx2", "default"))) float interpolated_peak_1(const float* x, int64_t n,
                                                                            const phase_table& table) {
    return interpolated_peak<1>(x, n, table);
}
}  // namespace

void true_peak_meter::add(const float* interleaved, int64_t frames) {
    if (phases_.empty() || frames <= 0) return;
    for (int c = 0; c < channels_; ++c) {
        auto& w = work_[static_cast<size_t>(c)];
        w.resize(static_cast<size_t>(taps - 1 + frames));
        float* dst = w.data() + (taps - 1);
        for (int64_t i = 0; i < frames; ++i) dst[i] = interleaved[i * channels_ + c];
        const float p = phases_.size() == 3 ? interpolated_peak_3(w.data(), frames, phases_)
                                            : interpolated_peak_1(w.data(), frames, phases_);
        peak_ = std::max(peak_, p);
        std::copy(w.end() - (taps - 1), w.end(), w.begin());  // the next block's history
        w.resize(taps - 1);
    }
}

void true_peak_meter::flush() {
    const std::vector<float> silence(static_cast<size_t>(taps / 2 * channels_), 0.0f);
    add(silence.data(), taps / 2);
}

double true_peak_meter::peak() const {
    return peak_;
}

}  // namespace timeside
