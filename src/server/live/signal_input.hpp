// signal_input: a mount's input made here, for testing a station without any media: `sine:440`
// (a 440 Hz sine at -6 dBFS), `clicks:120` (a short click on each beat at 120 BPM), `silence`.
// It never runs out and never waits: the clock takes what it needs when it needs it.
#pragma once

#include <string>

#include "server/live/live_input.hpp"

namespace timeside::server::live {

class signal_input : public live_input {
public:
    // Throws usage_error naming the signal and what is accepted when `signal` is not one of them.
    explicit signal_input(std::string signal);

    void start(audio_format format) override;
    status read(std::vector<float>& out, int64_t max_frames, std::chrono::milliseconds wait) override;
    std::string error() const override { return {}; }
    std::string describe() const override { return "signal " + signal_; }
    void stop() noexcept override {}

    static constexpr double sine_amplitude = 0.5;    // -6 dBFS
    static constexpr double click_amplitude = 0.9;
    static constexpr double click_seconds = 0.010;   // each click's length
    static constexpr double click_frequency = 1000;  // a decaying 1 kHz burst

private:
    enum class kind { sine, clicks, silence };
    std::string signal_;
    kind kind_ = kind::silence;
    double value_ = 0;  // Hz or BPM
    audio_format format_;
    int64_t frame_ = 0;  // frames produced so far
};

}  // namespace timeside::server::live
