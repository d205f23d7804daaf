// Results as one CSV file (RFC 4180: CRLF line ends, fields quoted when they hold a comma, a quote
// or a line break). Columns: id, time, duration, label, value, value_1 ... value_{N-1}; every row
// has the header's N + 4 fields, N being the widest row (a spectrogram's bins).
#pragma once

#include <ostream>
#include <span>
#include <string>

#include "core/result.hpp"

namespace timeside {

// Rows, result after result: global results one row (all their values), framewise one row per
// frame (time = i·stepsize/samplerate, duration = blocksize/samplerate), events one row each
// (duration 0), segments one row each. Label results put the label's name in `label` and its
// number in `value`; value results leave `label` empty. Numbers read back exactly ("nan", "inf"
// for non-finite values, which Python's float() and pandas read).
void write_csv(std::ostream& out, std::span<const analyzer_result> results);
std::string results_to_csv(std::span<const analyzer_result> results);

}  // namespace timeside
