// aubio::onset_detector and aubio::beat_tracker against aubio's own aubio_onset_t and aubio_tempo_t
// fed the same hops: every hop's output, every last onset or beat frame, every bpm and confidence
// bit-identical, for every method (the norm-only ones skip the phases, the others compute them).
#include <catch2/catch.hpp>

#include "analyzers/aubio_detectors.hpp"
#include "aubio_test_support.hpp"

using namespace timeside;
namespace at = timeside::test::aubio_tools;

namespace {
const char* const methods[] = {"hfc", "energy", "complex", "phase", "specdiff", "kl", "mkl", "specflux"};

// The notes over a 120 BPM click track, 24 s: onsets for every method, beats for the tracker.
std::vector<float> material() {
    auto x = at::click_track(120, 24);
    const auto n = at::notes();
    for (size_t i = 0; i < x.size(); ++i) x[i] = 0.5f * x[i] + 0.5f * n[i % n.size()];
    return x;
}

// fn(hop) for each whole hop of x, as aubio_temporal's hop_feed hands them over.
template <class Fn>
void for_each_hop(const std::vector<float>& x, uint_t hop, Fn&& fn) {
    aubio::fvec_ptr in = aubio::make<aubio::fvec_ptr>([&] { return aubio::lib().new_fvec(hop); }, "a hop");
    for (size_t at = 0; at + hop <= x.size(); at += hop) {
        std::copy_n(x.begin() + static_cast<std::ptrdiff_t>(at), hop, in->data);
        fn(static_cast<const fvec_t&>(*in));
    }
}
}  // namespace

TEST_CASE("aubio onset_detector: bit-identical to aubio_onset_do for every method", "[analyzers][aubio]") {
    const auto& l = aubio::lib();
    const auto x = material();
    for (const char* method : methods) {
        CAPTURE(method);
        const uint_t buffer = 512, hop = 256, sr = 44100;
        auto theirs = aubio::make<aubio::onset_ptr>([&] { return l.new_aubio_onset(method, buffer, hop, sr); }, "onset");
        l.aubio_onset_set_silence(theirs.get(), -70);
        l.aubio_onset_set_minioi_s(theirs.get(), 0.05f);
        auto out = aubio::make<aubio::fvec_ptr>([&] { return l.new_fvec(1); }, "out");
        aubio::onset_detector ours(method, buffer, hop, sr, 0, -70, 0.05f);
        REQUIRE(aubio::reads_phases(method) == (std::string(method) == "complex" || std::string(method) == "phase"));
        size_t hops = 0, onsets = 0, mismatches = 0;
        for_each_hop(x, hop, [&](const fvec_t& in) {
            l.aubio_onset_do(theirs.get(), &in, out.get());
            const smpl_t mine = ours.process(in);
            ++hops;
            if (mine != out->data[0] || ours.last() != l.aubio_onset_get_last(theirs.get())) ++mismatches;
            if (out->data[0] != 0) ++onsets;
        });
        CAPTURE(hops, onsets);
        CHECK(hops == x.size() / hop);
        CHECK(onsets >= 40);  // 58 notes (two passes of 29): a meaningful comparison
        CHECK(mismatches == 0);
    }
}

TEST_CASE("aubio onset_detector: a threshold given replaces the method's default", "[analyzers][aubio]") {
    const auto& l = aubio::lib();
    const auto x = material();
    auto theirs = aubio::make<aubio::onset_ptr>([&] { return l.new_aubio_onset("hfc", 512, 256, 44100); }, "onset");
    l.aubio_onset_set_threshold(theirs.get(), 0.5f);
    l.aubio_onset_set_silence(theirs.get(), -70);
    l.aubio_onset_set_minioi_s(theirs.get(), 0.05f);
    auto out = aubio::make<aubio::fvec_ptr>([&] { return l.new_fvec(1); }, "out");
    aubio::onset_detector ours("hfc", 512, 256, 44100, 0.5f, -70, 0.05f);
    aubio::onset_detector by_default("hfc", 512, 256, 44100, 0, -70, 0.05f);
    size_t onsets = 0, defaults = 0, mismatches = 0;
    for_each_hop(x, 256, [&](const fvec_t& in) {
        l.aubio_onset_do(theirs.get(), &in, out.get());
        if (ours.process(in) != out->data[0]) ++mismatches;
        if (out->data[0] != 0) ++onsets;
        if (by_default.process(in) != 0) ++defaults;
    });
    CAPTURE(onsets, defaults);
    CHECK(mismatches == 0);
    CHECK(onsets >= 10);
    CHECK(onsets < defaults);  // 0.5 is stricter than hfc's 0.058: the setting took effect
}

TEST_CASE("aubio beat_tracker: bit-identical to aubio_tempo_do, bpm and confidence included", "[analyzers][aubio]") {
    const auto& l = aubio::lib();
    const auto x = material();
    for (const char* method : {"specflux", "hfc", "complex"}) {
        CAPTURE(method);
        const uint_t buffer = 1024, hop = 512, sr = 44100;
        auto theirs = aubio::make<aubio::tempo_ptr>([&] { return l.new_aubio_tempo(method, buffer, hop, sr); }, "tempo");
        l.aubio_tempo_set_threshold(theirs.get(), 0.3f);
        l.aubio_tempo_set_silence(theirs.get(), -90);
        auto out = aubio::make<aubio::fvec_ptr>([&] { return l.new_fvec(2); }, "out");
        aubio::beat_tracker ours(method, buffer, hop, sr, 0.3f, -90);
        size_t beats = 0, mismatches = 0;
        double last_bpm = 0;
        for_each_hop(x, hop, [&](const fvec_t& in) {
            l.aubio_tempo_do(theirs.get(), &in, out.get());
            const smpl_t mine = ours.process(in);
            if (mine != out->data[0] || ours.last() != l.aubio_tempo_get_last(theirs.get()) ||
                ours.bpm() != l.aubio_tempo_get_bpm(theirs.get()) ||
                ours.confidence() != l.aubio_tempo_get_confidence(theirs.get()))
                ++mismatches;
            if (out->data[0] != 0) ++beats, last_bpm = l.aubio_tempo_get_bpm(theirs.get());
        });
        CAPTURE(beats, last_bpm);
        CHECK(beats >= 20);  // 48 clicks: a meaningful comparison
        CHECK(mismatches == 0);
        if (std::string(method) == "specflux") CHECK(std::fabs(last_bpm - 120) < 3);  // the clicks' tempo
    }
}
