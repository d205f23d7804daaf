// Analyzers: consumers that keep results (TimeSide's model) and, when a sink is attached, emit
// their values as events while they compute them, stamped in stream frames for live subscribers.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <optional>
#include <string>
#include <vector>

#include "core/processor.hpp"
#include "core/result.hpp"
#include "core/row_sink.hpp"

namespace timeside {

struct analysis_event {
    std::string result_id;
    int64_t frame = 0;           // stream frame the value refers to (its window's start)
    int samplerate = 0;
    int64_t duration_frames = 0;
    std::vector<double> values;
    std::optional<int> label;

    double time() const { return samplerate ? static_cast<double>(frame) / samplerate : 0.0; }
};

using event_sink = std::function<void(const analysis_event&)>;

class analyzer : public consumer {
public:
    using consumer::consumer;

    void setup(const stream_info& in) final;
    void process(const block_ptr& b) final;
    void finish() final;

    const std::deque<analyzer_result>& results() const { return results_; }
    // The result with this id (e.g. "level.rms"); throws usage_error naming the ids it has.
    const analyzer_result& result(std::string_view result_id) const;
    void set_event_sink(event_sink sink) { sink_ = std::move(sink); }
    // Framewise rows also go to `rows` as they are computed; with keep_rows false they are not
    // kept in the results at all (memory stays flat whatever the input's length).
    void set_row_sink(std::shared_ptr<row_sink> rows, bool keep_rows) {
        rows_ = std::move(rows);
        keep_rows_ = keep_rows;
    }

protected:
    virtual void on_setup(const stream_info& in) = 0;
    virtual void on_process(const block_ptr& b) = 0;
    virtual void on_finish() = 0;

    const stream_info& input() const { return input_; }
    // A result pre-filled with id, metadata and parameters (its audio metadata is stamped when the
    // run finishes); `suffix` makes the id "<processor id>.<suffix>" and the name
    // "<processor name> <label>". References stay valid: results live in a deque.
    analyzer_result& new_result(data_mode dm, time_mode tm, const std::string& suffix = {},
                                const std::string& label = {});
    // A framewise result made at setup, its rows added as they come with append_row(): `width`
    // values per row (0 for one value per row), windows of `blocksize` frames every `stepsize`.
    analyzer_result& new_framewise_result(const std::string& suffix, const std::string& label, size_t width,
                                          int blocksize, int stepsize, std::vector<double> y_value = {});
    void append_row(analyzer_result& r, std::span<const double> row);
    bool emitting() const { return static_cast<bool>(sink_); }
    // False for a live analyzer (set_row_sink(..., false)): event and segment results it would
    // grow row by row are not kept either, so memory stays flat whatever the run's length.
    bool keeping_rows() const { return keep_rows_; }
    // Stream frames this analyzer was not given (a live analysis lane skips blocks when it falls
    // behind): a frame counted over the blocks it saw, plus this, is a stream frame. Framewise
    // rows are stamped so by append_row; analyzers that emit frames they count themselves add it.
    int64_t skipped_frames() const { return skipped_frames_; }
    void emit(const analysis_event& e) const {
        if (sink_) sink_(e);
    }

private:
    stream_info input_;
    int64_t frames_seen_ = 0;  // the true length, known at finish (a header's may be wrong)
    int64_t next_position_ = -1;  // where the next block should start; -1 before the first
    int64_t skipped_frames_ = 0;
    std::deque<analyzer_result> results_;
    event_sink sink_;
    std::shared_ptr<row_sink> rows_;
    bool keep_rows_ = true;
};

}  // namespace timeside
