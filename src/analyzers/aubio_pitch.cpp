// aubio_pitch: one aubio_pitch_t per run, fed hop by hop. Defaults are aubiopitch's (yinfft,
// 2048 / 256, aubio's own tolerance and -50 dB silence), not TimeSide's 2048 / 1024, so that our
// rows line up with the tool's: row i is the estimate after hop i, at i * hop / samplerate.
#include "analyzers/aubio_pitch.hpp"

#include <fmt/format.h>

namespace timeside {

const processor_info& aubio_pitch::describe() {
    static const processor_info info{
        "aubio_pitch",
        "f0 (aubio)",
        "0.4.9",
        "Fundamental frequency and confidence per hop (aubio's pitch detection, as aubiopitch)",
        "Hz",
        processor_kind::analyzer,
        {choice_param("method", "Pitch detection method", "yinfft",
                      {"yinfft", "yin", "yinfast", "mcomb", "fcomb", "schmitt", "specacf"}),
         aubio::buffer_size_param("buffer_size", "Analysis window", 2048),
         aubio::hop_size_param("hop_size", "Frames between two estimates (at most buffer_size)", 256),
         number_param("tolerance",
                      "Yin tolerance (yin, yinfast, yinfft); 0 keeps aubio's default for the method "
                      "(yinfft 0.85, yin and yinfast 0.15)",
                      0.0, 0.0, 1.0),
         number_param("silence", "Below this level a hop reads 0 Hz", -50.0, -200.0, 0.0, "dB")}};
    return info;
}

aubio_pitch::aubio_pitch(parameter_set params)
    : analyzer(describe(), std::move(params)),
      buffer_size_(static_cast<int>(parameters().integer("buffer_size"))),
      hop_size_(static_cast<int>(parameters().integer("hop_size"))) {
    aubio::quiet_repeated_warnings();
    aubio::check_hop(id(), parameters(), "hop_size", "buffer_size");
}

void aubio_pitch::on_setup(const stream_info& in) {
    const auto& method = parameters().string("method");
    pitch_ = aubio::make<aubio::pitch_ptr>(
        [&] {
            return aubio::lib().new_aubio_pitch(method.c_str(), static_cast<uint_t>(buffer_size_),
                                                static_cast<uint_t>(hop_size_),
                                                static_cast<uint_t>(in.format.samplerate));
        },
        fmt::format("a '{}' pitch detector ({} / {} at {} Hz)", method, buffer_size_, hop_size_,
                    in.format.samplerate));
    aubio::lib().aubio_pitch_set_unit(pitch_.get(), "Hz");
    if (double tol = parameters().number("tolerance"); tol > 0)
        aubio::lib().aubio_pitch_set_tolerance(pitch_.get(), static_cast<smpl_t>(tol));
    aubio::lib().aubio_pitch_set_silence(pitch_.get(), static_cast<smpl_t>(parameters().number("silence")));
    out_ = aubio::make<aubio::fvec_ptr>([&] { return aubio::lib().new_fvec(1); }, "a buffer");
    feed_.emplace(in.format.channels, hop_size_);

    pitch_result_ = &new_framewise_result("pitch", "pitch", 0, buffer_size_, hop_size_);
    confidence_result_ =
        &new_framewise_result("pitch_confidence", "pitch confidence", 0, buffer_size_, hop_size_);
    confidence_result_->id.unit.clear();
}

void aubio_pitch::on_hop(const fvec_t& hop) {
    aubio::lib().aubio_pitch_do(pitch_.get(), &hop, out_.get());
    const double f0[] = {aubio::finite(out_->data[0])};
    const double confidence[] = {aubio::finite(aubio::lib().aubio_pitch_get_confidence(pitch_.get()))};
    append_row(*pitch_result_, f0);
    append_row(*confidence_result_, confidence);
}

void aubio_pitch::on_process(const block_ptr& b) {
    feed_->push(*b, [this](const fvec_t& hop, int64_t) { on_hop(hop); });
}

void aubio_pitch::on_finish() {
    feed_->flush([this](const fvec_t& hop, int64_t) { on_hop(hop); });
}

}  // namespace timeside
