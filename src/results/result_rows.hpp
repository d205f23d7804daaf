// What the row-oriented serializers (CSV, JAMS, WebVTT, Audacity labels) share: how many rows a
// result has, the values of row i, a label's name, and numbers printed so they read back exactly.
#pragma once

#include <algorithm>
#include <cmath>
#include <span>
#include <string>

#include <fmt/format.h>

#include "core/result.hpp"

namespace timeside::result_rows {

// Values per row: `width` for 2-D results, else 1; a global 1-D result is one row of all its values.
inline size_t values_per_row(const analyzer_result& r) {
    if (r.dmode == data_mode::label) return 1;
    if (r.data.width > 0) return r.data.width;
    if (r.tmode == time_mode::global) return r.data.value.size();
    return 1;
}

// Rows to write. Event and segment results may carry times without values (TimeSide's onsets
// hold their times only), so their times count as rows too.
inline size_t count(const analyzer_result& r) {
    size_t n = 0;
    if (r.dmode == data_mode::label)
        n = r.data.label.size();
    else if (const size_t w = values_per_row(r); w > 0)
        n = r.data.value.size() / w;
    if (r.tmode == time_mode::event || r.tmode == time_mode::segment) n = std::max(n, r.data.time.size());
    return n;
}

// The values of row i (empty past the end, or in label mode).
inline std::span<const double> values(const analyzer_result& r, size_t i) {
    if (r.dmode == data_mode::label) return {};
    const size_t w = values_per_row(r);
    if (w == 0 || (i + 1) * w > r.data.value.size()) return {};
    return std::span<const double>(r.data.value).subspan(i * w, w);
}

inline bool has_label(const analyzer_result& r, size_t i) {
    return r.dmode == data_mode::label && i < r.data.label.size();
}

// The label's name from label_metadata, else its number.
inline std::string label_name(const analyzer_result& r, int label) {
    auto it = r.labels.label.find(label);
    return it != r.labels.label.end() ? it->second : std::to_string(label);
}

// Shortest text that reads back to the same double ("0.1", "1e-07", "nan", "inf").
inline std::string number(double v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    return fmt::format("{}", v);
}

// Times are never negative in any of the formats (JAMS and WebVTT refuse them).
inline double time_of(const analyzer_result& r, size_t i) { return std::max(0.0, r.time_at(i)); }
inline double duration_of(const analyzer_result& r, size_t i) { return std::max(0.0, r.duration_at(i)); }

}  // namespace timeside::result_rows
