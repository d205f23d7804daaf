// The Audacity label serializer: labels collected from every event and segment result, sorted
// by start (stable, so one result's labels keep their order), written one per line.
#include "results/audacity_writer.hpp"

#include <algorithm>
#include <sstream>
#include <vector>

#include "results/result_rows.hpp"

namespace timeside {

namespace {

struct label_line {
    double start, end;
    size_t result, row;
};

std::string label_text(const analyzer_result& r, size_t i) {
    std::string text = r.result_id();
    if (result_rows::has_label(r, i)) {
        text += ": " + result_rows::label_name(r, r.data.label[i]);
    } else {
        auto v = result_rows::values(r, i);
        for (size_t k = 0; k < v.size(); ++k) text += (k == 0 ? ": " : " ") + result_rows::number(v[k]);
    }
    std::replace_if(text.begin(), text.end(), [](char c) { return c == '\t' || c == '\n' || c == '\r'; }, ' ');
    return text;
}

}  // namespace

void write_audacity_labels(std::ostream& out, std::span<const analyzer_result> results) {
    std::vector<label_line> lines;
    for (size_t k = 0; k < results.size(); ++k) {
        const auto& r = results[k];
        if (r.tmode != time_mode::event && r.tmode != time_mode::segment) continue;
        const size_t rows = result_rows::count(r);
        for (size_t i = 0; i < rows; ++i) {
            const double start = result_rows::time_of(r, i);
            const double end = r.tmode == time_mode::event ? start : start + result_rows::duration_of(r, i);
            lines.push_back({start, end, k, i});
        }
    }
    std::stable_sort(lines.begin(), lines.end(),
                     [](const label_line& a, const label_line& b) { return a.start < b.start; });
    for (const auto& l : lines)
        out << fmt::format("{:.6f}\t{:.6f}\t", l.start, l.end) << label_text(results[l.result], l.row) << '\n';
}

std::string results_to_audacity_labels(std::span<const analyzer_result> results) {
    std::ostringstream out;
    write_audacity_labels(out, results);
    return std::move(out).str();
}

}  // namespace timeside
