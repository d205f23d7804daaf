// Decimation of framewise values to one rate: the rows of each result are grouped by interval of
// the stream (samplerate / rate frames, aligned on stream frame 0) and each interval becomes one
// message carrying the aggregate of all its rows (mean, min and max per component, and how many
// rows), not every n-th row. The hub keeps one per rate its subscribers use; its messages are
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

    // Adds one row. When it starts a later interval than the rows of its result held so far,
    // those rows' aggregate is returned (an interval is complete once a row past it arrives).
    std::optional<interval_values> add(const analysis_event& e);

    // The intervals still open (a finite feed ended: no row past them will come), each result's
    // aggregate; the decimator is empty afterwards.
    std::vector<interval_values> flush();

    int rate() const { return rate_; }
    int64_t interval_frames() const { return interval_frames_; }

private:
    struct pending {
        int64_t interval = 0;
        interval_values values;
    };
    const int rate_;
    const int64_t interval_frames_;
    std::unordered_map<std::string, pending> pending_;
};

}  // namespace timeside::server::events
