// aubio_silence: blocks of buffer_size frames, each silent when its level (aubio_db_spl) is under
// `threshold`; consecutive blocks with one label merge into one segment. TimeSide passed +80 as the
// threshold and swapped the labels, so it called everything "Not Silence"; here 0 is silence.
#include "analyzers/aubio_silence.hpp"

#include <algorithm>

namespace timeside {

const processor_info& aubio_silence::describe() {
    static const processor_info info{
        "aubio_silence",
        "silence detection (aubio)",
        "0.4.9",
        "Silent and non-silent segments (aubio's silence detection)",
        "",
        processor_kind::analyzer,
        {integer_param("buffer_size", "Frames judged together (the time resolution)", 1024, 16, 65536,
                       "frames"),
         number_param("threshold", "Blocks quieter than this are silent", -70.0, -200.0, 0.0, "dB")}};
    return info;
}

aubio_silence::aubio_silence(parameter_set params)
    : analyzer(describe(), std::move(params)),
      buffer_size_(static_cast<int>(parameters().integer("buffer_size"))),
      threshold_(static_cast<smpl_t>(parameters().number("threshold"))) {
    aubio::quiet_repeated_warnings();
}

void aubio_silence::on_setup(const stream_info& in) {
    samplerate_ = in.format.samplerate;
    frames_ = 0;
    current_label_ = -1;
    segment_start_ = 0;
    feed_.emplace(in.format.channels, buffer_size_);
    result_ = &new_result(data_mode::label, time_mode::segment);
    result_->labels.label = {{silence_label, "Silence"}, {sound_label, "Not Silence"}};
}

void aubio_silence::close_segment(int64_t end) {
    if (current_label_ < 0 || end <= segment_start_) return;
    const int64_t frames = end - segment_start_;
    if (keeping_rows()) {
        result_->data.label.push_back(current_label_);
        result_->data.time.push_back(static_cast<double>(segment_start_) / samplerate_);
        result_->data.duration.push_back(static_cast<double>(frames) / samplerate_);
    }
    if (emitting()) emit({result_->id.id, segment_start_ + skipped_frames(), samplerate_, frames, {}, current_label_});
}

void aubio_silence::on_block(const fvec_t& hop, int64_t first) {
    const int label =
        aubio::lib().aubio_silence_detection(&hop, threshold_) == 1 ? silence_label : sound_label;
    if (label == current_label_) return;
    close_segment(first);
    current_label_ = label;
    segment_start_ = first;
}

void aubio_silence::on_process(const block_ptr& b) {
    frames_ += b->frames();
    feed_->push(*b, [this](const fvec_t& hop, int64_t first) { on_block(hop, first); });
}

void aubio_silence::on_finish() {
    feed_->flush([this](const fvec_t& hop, int64_t first) { on_block(hop, first); });
    close_segment(frames_);
}

}  // namespace timeside
