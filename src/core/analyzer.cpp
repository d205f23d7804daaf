// Result bookkeeping shared by all analyzers.
#include "core/analyzer.hpp"

#include <chrono>
#include <ctime>

#include <fmt/format.h>

#include "core/errors.hpp"

namespace timeside {

void analyzer::setup(const stream_info& in) {
    input_ = in;
    results_.clear();
    frames_seen_ = 0;
    next_position_ = -1;
    skipped_frames_ = 0;
    on_setup(in);
}

void analyzer::process(const block_ptr& b) {
    if (next_position_ >= 0 && b->position() > next_position_) skipped_frames_ += b->position() - next_position_;
    next_position_ = b->position() + b->frames();
    frames_seen_ += b->frames();
    on_process(b);
}

// The audio metadata is only true once the stream has ended (its real length, the sha1).
void analyzer::finish() {
    on_finish();
    const std::string sha1 = input_.media ? input_.media->sha1_hex() : std::string{};
    for (auto& r : results_) {
        if (input_.media) r.audio.uri = input_.media->uri;
        r.audio.sha1 = sha1;
        r.audio.start = input_.start;
        r.audio.duration = input_.format.samplerate
                               ? static_cast<double>(frames_seen_) / input_.format.samplerate
                               : 0.0;
        r.audio.is_segment = input_.is_segment;
        r.audio.channels = input_.format.channels;
    }
}

analyzer_result& analyzer::new_framewise_result(const std::string& suffix, const std::string& label, size_t width,
                                                int blocksize, int stepsize, std::vector<double> y_value) {
    analyzer_result& r = new_result(data_mode::value, time_mode::framewise, suffix, label);
    r.data.width = width;
    r.data.y_value = std::move(y_value);
    r.frames = {input_.format.samplerate, blocksize, stepsize};
    if (rows_) rows_->begin(r);
    return r;
}

// Every framewise row is also an event for live subscribers, stamped with its window's first
// stream frame (rows are counted over the frames seen: blocks a live lane skipped are added back).
void analyzer::append_row(analyzer_result& r, std::span<const double> row) {
    if (keep_rows_) r.data.value.insert(r.data.value.end(), row.begin(), row.end());
    if (rows_) rows_->append(r.id.id, row);
    if (sink_)
        sink_({r.id.id, static_cast<int64_t>(r.appended_rows) * r.frames.stepsize + skipped_frames_, r.frames.samplerate,
               r.frames.blocksize, std::vector<double>(row.begin(), row.end()), {}});
    ++r.appended_rows;
}

const analyzer_result& analyzer::result(std::string_view result_id) const {
    std::string ids;
    for (const auto& r : results_) {
        if (r.id.id == result_id) return r;
        ids += (ids.empty() ? "" : ", ") + r.id.id;
    }
    throw usage_error(fmt::format("{}: no result '{}'; it has: {}", id(), result_id,
                                  ids.empty() ? "none yet" : ids));
}

analyzer_result& analyzer::new_result(data_mode dm, time_mode tm, const std::string& suffix,
                                      const std::string& label) {
    analyzer_result r;
    r.dmode = dm;
    r.tmode = tm;
    r.id.id = suffix.empty() ? id() : id() + "." + suffix;
    r.id.name = label.empty() ? info().name : info().name + " " + label;
    r.id.unit = info().unit;
    r.id.description = info().description;
    std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm_local{};
    localtime_r(&now, &tm_local);
    char date[32];
    std::strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", &tm_local);
    r.id.date = date;
    r.id.version = info().version;
    r.id.author = "TimeSide";
    r.id.proc_uuid = uuid();
    r.parameters = parameters().to_json();
    if (tm == time_mode::framewise)
        r.frames = {input_.format.samplerate, input_.blocksize, input_.blocksize};
    results_.push_back(std::move(r));
    return results_.back();
}

}  // namespace timeside
