// Decimation of framewise values to one rate: the rows of each result are grouped by interval of
// the stream (samplerate / rate frames, aligned on stream frame 0) and each interval becomes one
// message carrying the aggregate of all its rows (min and max per component, how many rows, and
// as `mean` the value its result declares: the rows' mean, their max for a peak, their power mean
// for an RMS level), not every n-th row. The hub keeps one per rate its subscribers use; its messages are
// serialized once per rate and shared by every subscriber at that rate.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/analyzer.hpp"
#include "server/events/message.hpp"

namespace timeside::server::events {

class decimator {
public:
    decimator(int rate, int samplerate);

    // Adds one row, of a result whose intervals are summed up as `how` says (the catalog's
    // aggregate for it). When it starts a later interval than the rows of its result held so far,
    // those rows' aggregate is returned (an interval is complete once a row past it arrives).
    std::optional<interval_values> add(const analysis_event& e, aggregation how = aggregation::mean);

    // The intervals still open (a finite feed ended: no row past them will come), each result's
    // aggregate; the decimator is empty afterwards.
    std::vector<interval_values> flush();

    int rate() const { return rate_; }
    int64_t interval_frames() const { return interval_frames_; }

private:
    struct pending {
        int64_t interval = 0;
        aggregation how = aggregation::mean;
        double weight = 0;  // power_mean: the frames summed in `values.mean` (rows of no length count 1)
        interval_values values;
    };
    static void start(pending& p, const analysis_event& e);
    static void accumulate(pending& p, const analysis_event& e);
    static interval_values close(pending& p);
    const int rate_;
    const int64_t interval_frames_;
    std::unordered_map<std::string, pending> pending_;
};

}  // namespace timeside::server::events
