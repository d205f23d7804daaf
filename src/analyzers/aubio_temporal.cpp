// aubio_temporal: onsets run at aubioonset's 512 / 256 and the beat tracker at aubiotrack's
// 1024 / 512, each on its own mono hop feed, so that both match their tool. (TimeSide ran both at
// 1024 / 256 with the "default" methods.) Results keep TimeSide's ids, modes and units, but bpm is
// one global value (TimeSide gave 60 / interval per beat, as segments).
#include "analyzers/aubio_temporal.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace timeside {

namespace {
const std::vector<std::string> onset_methods{"hfc",      "energy", "complex", "phase",
                                             "specdiff", "kl",     "mkl",     "specflux"};

// The global tempo from the beat times. Beats fall on the hop grid and the tracker catches up with
// the odd longer interval, so the median of 60 / interval (what `aubio tempo` prints) reads 121.6
// on a 120 BPM click track, and the tracker's own last estimate 122. And aubio drops beats that
// fall in a silent hop, so between sparse clicks some intervals span two or more beats. So: pick
// the period that explains the most intervals as whole multiples of it (within 10 %), and return
// 60 * (periods spanned) / (time spanned) over the intervals it explains: 120.2 on that track.
double tempo_of(const std::vector<double>& beats) {
    if (beats.size() < 2) return 0.0;
    std::vector<double> ibi;
    for (size_t i = 1; i < beats.size(); ++i)
        if (beats[i] > beats[i - 1]) ibi.push_back(beats[i] - beats[i - 1]);
    if (ibi.empty()) return 0.0;
    std::vector<double> candidates = ibi;
    std::sort(candidates.begin(), candidates.end());
    constexpr size_t max_candidates = 64;  // quantiles: linear time on hour-long files
    const size_t stride = std::max<size_t>(1, candidates.size() / max_candidates);
    size_t best_count = 0;
    double best_periods = 0, best_time = 0;
    for (size_t c = 0; c < candidates.size(); c += stride) {
        const double period = candidates[c];
        size_t count = 0;
        double periods = 0, time = 0;
        for (double d : ibi) {
            const double k = std::max(1.0, std::round(d / period));
            if (std::fabs(d - k * period) <= 0.1 * k * period) ++count, periods += k, time += d;
        }
        // Equal support: the longer period (half the tempo explains every interval too).
        if (count > best_count || (count == best_count && periods < best_periods))
            best_count = count, best_periods = periods, best_time = time;
    }
    return best_time > 0 ? 60.0 * best_periods / best_time : 0.0;
}

// aubio counts frames in 32 bits, which wrap after 27 hours at 44.1 kHz (a live mount runs longer):
// the event lies within a few hops of the hop just fed, whose 64-bit first frame we know.
int64_t unwrap(uint_t aubio_frame, int64_t hop_first) {
    return hop_first +
           static_cast<int32_t>(static_cast<uint32_t>(aubio_frame) - static_cast<uint32_t>(hop_first));
}
}  // namespace

const processor_info& aubio_temporal::describe() {
    static const processor_info info{
        "aubio_temporal",
        "onsets (aubio)",
        "0.4.9",
        "Onsets, onset rate, beats, beat confidence and tempo (aubio's onset and tempo detection)",
        "",
        processor_kind::analyzer,
        {choice_param("onset_method", "Onset detection function", "hfc", onset_methods),
         aubio::buffer_size_param("onset_buffer_size", "Onset analysis window", 512),
         aubio::hop_size_param("onset_hop_size", "Onset hop (at most onset_buffer_size)", 256),
         number_param("onset_threshold",
                      "Peak-picking threshold; 0 keeps aubio's default for the method (hfc 0.058, "
                      "energy 0.3, complex 0.15...)",
                      0.0, 0.0, 10.0),
         number_param("onset_silence", "Onsets quieter than this are dropped", -70.0, -200.0, 0.0, "dB"),
         number_param("onset_minioi", "Minimum interval between two onsets", 0.05, 0.0, 10.0, "s"),
         choice_param("tempo_method", "Onset detection function of the beat tracker", "specflux",
                      onset_methods),
         aubio::buffer_size_param("tempo_buffer_size", "Beat tracker analysis window", 1024),
         aubio::hop_size_param("tempo_hop_size", "Beat tracker hop (at most tempo_buffer_size)", 512),
         number_param("tempo_threshold", "Beat tracker peak-picking threshold", 0.3, 0.0, 10.0),
         number_param("tempo_silence", "Beats quieter than this are dropped", -90.0, -200.0, 0.0, "dB")}};
    return info;
}

aubio_temporal::aubio_temporal(parameter_set params) : analyzer(describe(), std::move(params)) {
    aubio::quiet_repeated_warnings();
    aubio::check_hop(id(), parameters(), "onset_hop_size", "onset_buffer_size");
    aubio::check_hop(id(), parameters(), "tempo_hop_size", "tempo_buffer_size");
}

void aubio_temporal::on_setup(const stream_info& in) {
    const auto& p = parameters();
    samplerate_ = in.format.samplerate;
    const auto sr = static_cast<uint_t>(samplerate_);
    const auto onset_buf = static_cast<uint_t>(p.integer("onset_buffer_size"));
    const auto onset_hop = static_cast<uint_t>(p.integer("onset_hop_size"));
    const auto tempo_buf = static_cast<uint_t>(p.integer("tempo_buffer_size"));
    const auto tempo_hop = static_cast<uint_t>(p.integer("tempo_hop_size"));

    // aubio's onset and tempo objects, rebuilt so that hfc, specflux and the other norm-only methods
    // skip the phases (aubio_detectors.hpp); onset and tempo keep their own windows (512 and 1024
    // by default), so their spectra cannot be shared without changing what they find.
    onset_.emplace(p.string("onset_method"), onset_buf, onset_hop, sr, static_cast<smpl_t>(p.number("onset_threshold")),
                   static_cast<smpl_t>(p.number("onset_silence")), static_cast<smpl_t>(p.number("onset_minioi")));
    tempo_.emplace(p.string("tempo_method"), tempo_buf, tempo_hop, sr, static_cast<smpl_t>(p.number("tempo_threshold")),
                   static_cast<smpl_t>(p.number("tempo_silence")));
    onset_feed_.emplace(in.format.channels, static_cast<int>(onset_hop));
    tempo_feed_.emplace(in.format.channels, static_cast<int>(tempo_hop));
    last_onset_.reset();
    last_period_ = 0;

    auto result = [this](data_mode dm, time_mode tm, const std::string& suffix, const std::string& name,
                         const std::string& unit) -> analyzer_result& {
        auto& r = new_result(dm, tm, suffix, name);
        r.id.unit = unit;
        if (dm == data_mode::label) r.labels.label = {{1, name}};
        return r;
    };
    onsets_ = &result(data_mode::label, time_mode::event, "onset", "Onset", "s");
    onset_rate_ = &result(data_mode::value, time_mode::segment, "onset_rate", "Onset Rate", "bpm");
    beats_ = &result(data_mode::label, time_mode::event, "beat", "Beat", "s");
    beat_confidence_ = &result(data_mode::value, time_mode::event, "beat_confidence", "Beat confidence", "");
    bpm_ = &result(data_mode::value, time_mode::global, "bpm", "bpm", "bpm");
}

void aubio_temporal::add_onset_rate(int64_t from, int64_t frames) {
    const double seconds = static_cast<double>(frames) / samplerate_;
    const double rate = seconds > 0 ? 60.0 / seconds : 0.0;
    if (keeping_rows()) {
        onset_rate_->data.time.push_back(static_cast<double>(from) / samplerate_);
        onset_rate_->data.duration.push_back(seconds);
        onset_rate_->data.value.push_back(rate);
    }
    if (emitting()) emit({onset_rate_->id.id, from + skipped_frames(), samplerate_, frames, {rate}, {}});
}

void aubio_temporal::on_onset_hop(const fvec_t& hop, int64_t first) {
    if (onset_->process(hop) == 0) return;
    const int64_t frame = unwrap(onset_->last(), first);
    if (keeping_rows()) {
        onsets_->data.time.push_back(static_cast<double>(frame) / samplerate_);
        onsets_->data.label.push_back(1);
    }
    if (emitting()) emit({onsets_->id.id, frame + skipped_frames(), samplerate_, 0, {}, 1});
    // The previous onset's segment ends here (TimeSide's onset_rate: 60 / period, per onset).
    if (last_onset_) {
        last_period_ = frame - *last_onset_;
        add_onset_rate(*last_onset_, last_period_);
    }
    last_onset_ = frame;
}

void aubio_temporal::on_tempo_hop(const fvec_t& hop, int64_t first) {
    if (tempo_->process(hop) == 0) return;
    const int64_t frame = unwrap(tempo_->last(), first);
    const double time = static_cast<double>(frame) / samplerate_;
    const double confidence = aubio::finite(tempo_->confidence());
    if (keeping_rows()) {
        beats_->data.time.push_back(time);
        beats_->data.label.push_back(1);
        beat_confidence_->data.time.push_back(time);
        beat_confidence_->data.value.push_back(confidence);
    }
    if (emitting()) {
        // Frames here count what the trackers were fed; a live lane may have skipped some.
        const int64_t at = frame + skipped_frames();
        emit({beats_->id.id, at, samplerate_, 0, {}, 1});
        emit({beat_confidence_->id.id, at, samplerate_, 0, {confidence}, {}});
        // The tracker's current estimate, for live displays; the final value is the median.
        emit({bpm_->id.id,
              at,
              samplerate_,
              0,
              {aubio::finite(tempo_->bpm())},
              {}});
    }
}

void aubio_temporal::on_process(const block_ptr& b) {
    onset_feed_->push(*b, [this](const fvec_t& hop, int64_t first) { on_onset_hop(hop, first); });
    tempo_feed_->push(*b, [this](const fvec_t& hop, int64_t first) { on_tempo_hop(hop, first); });
}

void aubio_temporal::on_finish() {
    onset_feed_->flush([this](const fvec_t& hop, int64_t first) { on_onset_hop(hop, first); });
    tempo_feed_->flush([this](const fvec_t& hop, int64_t first) { on_tempo_hop(hop, first); });
    // The last onset's segment lasts as long as the one before it (TimeSide repeats the last period).
    if (last_onset_ && last_period_ > 0) add_onset_rate(*last_onset_, last_period_);

    bpm_->data.value = {tempo_of(beats_->data.time)};
}

}  // namespace timeside
