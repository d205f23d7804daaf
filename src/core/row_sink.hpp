// Where framewise rows go as analyzers compute them. An HDF5 file, say, grows while a spectrogram
// is computed, so a long analysis never sits whole in memory (analyzer::set_row_sink). Analyzers
// on different lanes call one sink concurrently: implementations lock.
#pragma once

#include <span>
#include <string>

#include "core/result.hpp"

namespace timeside {

class row_sink {
public:
    virtual ~row_sink() = default;
    // Once per framewise result, before its first row: its metadata (ids, width, y_value,
    // frame_metadata) as known at setup.
    virtual void begin(const analyzer_result& meta) = 0;
    // One row of `meta.data.width` values (one value when width is 0).
    virtual void append(const std::string& result_id, std::span<const double> row) = 0;
};

}  // namespace timeside
