// What the validator accepts must work: every registered processor, every declared parameter, every
// enumerated choice and each range end (min, max; min+1 for integers), built and run on 1 s of a
// sine at 44.1 kHz stereo and at 8 kHz mono. Encoders must write output that the project's own
// file_decoder reads back at the input's length. A value that cannot work at one rate is refused
// at setup by a usage_error naming the parameter and the rate; values just outside a range are
// refused by the validator, naming the parameter.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <numbers>
#include <string>
#include <vector>

#include "../array_source.hpp"
#include "../encoders/encoder_test_support.hpp"
#include "../test_support.hpp"
#include "core/encoder.hpp"
#include "core/errors.hpp"
#include "core/pipe.hpp"
#include "core/registry.hpp"

using namespace timeside;
using namespace timeside::test;

namespace {

struct case_value {
    std::string text;  // how the case is named
    param_value value;
};

// The values of a parameter the validator accepts at its edges and in its lists.
std::vector<case_value> edge_values(const parameter_spec& s) {
    std::vector<case_value> out;
    switch (s.type) {
        case param_type::boolean:
            out = {{"true", true}, {"false", false}};
            break;
        case param_type::choice:
            for (const auto& c : s.choices) out.push_back({c, c});
            break;
        case param_type::integer:
            if (!s.allowed.empty()) {
                for (int64_t v : s.allowed) out.push_back({std::to_string(v), v});
            } else {
                const auto lo = static_cast<int64_t>(*s.min), hi = static_cast<int64_t>(*s.max);
                out = {{std::to_string(lo), lo}, {std::to_string(hi), hi}};
                if (lo + 1 < hi) out.push_back({std::to_string(lo + 1), lo + 1});
            }
            break;
        case param_type::number:
            out = {{fmt::format("{}", *s.min), *s.min}, {fmt::format("{}", *s.max), *s.max}};
            break;
        case param_type::string:
        case param_type::color:
            break;  // free text: no edges to walk
    }
    return out;
}

// Values one step outside the range (integers and numbers with a range, no list).
std::vector<case_value> outside_values(const parameter_spec& s) {
    if (s.type == param_type::integer && s.allowed.empty()) {
        std::vector<case_value> out;
        const auto lo = static_cast<int64_t>(*s.min), hi = static_cast<int64_t>(*s.max);
        if (lo > INT64_MIN) out.push_back({std::to_string(lo - 1), lo - 1});
        if (hi < INT64_MAX) out.push_back({std::to_string(hi + 1), hi + 1});
        return out;
    }
    if (s.type == param_type::integer) {
        const int64_t below = *std::min_element(s.allowed.begin(), s.allowed.end()) - 1;
        const int64_t above = *std::max_element(s.allowed.begin(), s.allowed.end()) + 1;
        return {{std::to_string(below), below}, {std::to_string(above), above}};
    }
    if (s.type == param_type::number) {
        const double step_lo = std::max(1e-6, std::fabs(*s.min) * 1e-6), step_hi = std::max(1e-6, std::fabs(*s.max) * 1e-6);
        return {{"below min", *s.min - step_lo}, {"above max", *s.max + step_hi}};
    }
    if (s.type == param_type::choice) return {{"not a choice", std::string("no-such-choice")}};
    return {};
}

std::vector<float> sine(int rate, int channels, double seconds) {
    const auto frames = static_cast<size_t>(rate * seconds);
    std::vector<float> s(frames * static_cast<size_t>(channels));
    for (size_t i = 0; i < frames; ++i)
        for (int c = 0; c < channels; ++c)
            s[i * static_cast<size_t>(channels) + static_cast<size_t>(c)] =
                0.5f * static_cast<float>(std::sin(2 * std::numbers::pi * 440.0 * static_cast<double>(i) / rate));
    return s;
}

struct stream_case {
    int rate, channels;
};
constexpr stream_case streams[] = {{44100, 2}, {8000, 1}};

bool walked(const processor_info& info) {
    // Decoders are sources (their parameters say where to read); the rest consume blocks.
    return info.kind != processor_kind::decoder;
}

struct outcome {
    std::string built_refusal;  // the processor refused the value with its other defaults
    std::string setup_refusal;  // setup refused it for this stream
    bool ran() const { return built_refusal.empty() && setup_refusal.empty(); }
};

// Builds `id` with one parameter set and runs 1 s through it: what refused the value (a
// usage_error, answered 400 by the server), or nothing when everything ran.
outcome run_one(const std::string& id, const std::string& name, const param_value& value, stream_case sc,
                const std::filesystem::path& dir) {
    std::shared_ptr<processor> proc;
    try {
        proc = default_registry().make(id, {{name, value}});
    } catch (const usage_error& e) {
        return {e.what(), {}};
    }
    auto src = make_source(sine(sc.rate, sc.channels, 1.0), sc.channels, true, sc.rate, 1024);
    std::filesystem::path out;
    auto enc = std::dynamic_pointer_cast<encoder>(proc);
    if (enc) {
        out = dir / ("out." + enc->extension());
        enc->write_to(out);
    }
    timeside::pipe p(src);
    p.add(proc);
    try {
        p.run();
    } catch (const usage_error& e) {
        return {{}, e.what()};
    }
    if (enc) {
        REQUIRE(std::filesystem::exists(out));
        CHECK(std::filesystem::file_size(out) > 0);
        const auto back = decode_file(out);
        // Lengths agree within a codec's delay and padding (an MP3 frame and its decoder's
        // delay, Opus's pre-skip at 48 kHz): 2,500 frames at most, 57 ms at 44.1 kHz.
        const double want = sc.rate * 1.0;
        const double got = static_cast<double>(back.frames()) * sc.rate / back.info.format.samplerate;
        CHECK(std::fabs(got - want) <= 2500.0 * sc.rate / 44100.0 + 1);
        CHECK(back.info.format.channels == sc.channels);
    }
    return {};
}

// Whether `message` names a parameter of `info` as name=value.
bool names_a_parameter(const processor_info& info, const std::string& message) {
    for (const auto& s : info.parameters)
        if (message.find(s.name + "=") != std::string::npos) return true;
    return false;
}

}  // namespace

TEST_CASE("every value the validator accepts for every processor runs or is refused at setup naming it and the rate",
          "[parameters][values]") {
    temp_dir dir;
    int runs = 0, refused_built = 0, refused_setup = 0;
    for (const auto* info : default_registry().list()) {
        if (!walked(*info)) continue;
        for (const auto& spec : info->parameters) {
            for (const auto& v : edge_values(spec)) {
                for (const auto sc : streams) {
                    INFO(info->id << ": " << spec.name << "=" << v.text << " at " << sc.rate << " Hz, " << sc.channels
                                  << " channel(s)");
                    outcome o;
                    CHECK_NOTHROW(o = run_one(info->id, spec.name, v.value, sc, dir.path()));
                    if (!o.built_refusal.empty()) {
                        // A value that contradicts another parameter's default (buffer_size below
                        // hop_size): refused before anything runs, naming what is allowed.
                        INFO("refused when built: " << o.built_refusal);
                        CHECK(names_a_parameter(*info, o.built_refusal));
                        ++refused_built;
                    } else if (!o.setup_refusal.empty()) {
                        // A value this stream cannot take: refused at setup, naming the parameter
                        // and what of the stream stands in the way (its rate, its length).
                        INFO("refused at setup: " << o.setup_refusal);
                        CHECK(o.setup_refusal.find(spec.name + "=") != std::string::npos);
                        const bool names_stream = o.setup_refusal.find(std::to_string(sc.rate) + " Hz") != std::string::npos ||
                                                  o.setup_refusal.find("end of the stream") != std::string::npos;
                        CHECK(names_stream);
                        ++refused_setup;
                    }
                    ++runs;
                }
            }
        }
    }
    CHECK(runs > 100);
    // Most values run: refusals are the exception (cross-parameter limits, rate limits).
    CHECK(refused_built + refused_setup < runs / 4);
}

TEST_CASE("mp3 at 32 to 56 kbit/s runs at 44.1 kHz: the low bitrates MPEG-1 codes are not refused",
          "[parameters][values][mp3]") {
    temp_dir dir;
    for (int64_t bitrate : {32, 40, 48, 56}) {
        INFO("bitrate=" << bitrate);
        CHECK(run_one("mp3_encoder", "bitrate", bitrate, {44100, 2}, dir.path()).ran());
        CHECK(run_one("mp3_encoder", "bitrate", bitrate, {44100, 1}, dir.path()).ran());
    }
    for (int64_t bitrate : {8, 16, 24, 32, 48, 64}) {
        INFO("bitrate=" << bitrate << " at 8 kHz");
        CHECK(run_one("mp3_encoder", "bitrate", bitrate, {8000, 1}, dir.path()).ran());
    }
}

TEST_CASE("values just outside each range are refused by the validator, naming the parameter",
          "[parameters][values]") {
    int refusals = 0;
    for (const auto* info : default_registry().list()) {
        if (!walked(*info)) continue;
        for (const auto& spec : info->parameters) {
            for (const auto& v : outside_values(spec)) {
                INFO(info->id << ": " << spec.name << "=" << v.text);
                try {
                    default_registry().make(info->id, {{spec.name, v.value}});
                    FAIL("accepted");
                } catch (const usage_error& e) {
                    const std::string what = e.what();
                    CHECK(what.find(spec.name + "=") != std::string::npos);
                    CHECK(what.find("expected") != std::string::npos);
                    ++refusals;
                }
            }
        }
    }
    CHECK(refusals > 50);
}
