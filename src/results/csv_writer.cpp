// The CSV serializer: one pass to find the widest row, one to write; rows are streamed to `out`,
// so a long spectrogram is never copied into one string.
#include "results/csv_writer.hpp"

#include <sstream>

#include "results/result_rows.hpp"

namespace timeside {

namespace {

// RFC 4180 §2.6-2.7: quote a field holding a comma, a quote or a line break; double its quotes.
void put_field(std::ostream& out, std::string_view text) {
    if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
        out << text;
        return;
    }
    out << '"';
    for (char c : text) {
        if (c == '"') out << '"';
        out << c;
    }
    out << '"';
}

}  // namespace

void write_csv(std::ostream& out, std::span<const analyzer_result> results) {
    size_t columns = 1;
    for (const auto& r : results) columns = std::max(columns, result_rows::values_per_row(r));

    out << "id,time,duration,label,value";
    for (size_t c = 1; c < columns; ++c) out << ",value_" << c;
    out << "\r\n";

    for (const auto& r : results) {
        const size_t rows = result_rows::count(r);
        for (size_t i = 0; i < rows; ++i) {
            put_field(out, r.result_id());
            out << ',' << result_rows::number(result_rows::time_of(r, i)) << ','
                << result_rows::number(result_rows::duration_of(r, i)) << ',';
            size_t written = 0;
            if (result_rows::has_label(r, i)) {
                const int label = r.data.label[i];
                put_field(out, result_rows::label_name(r, label));
                out << ',' << label;
                written = 1;
            } else {
                for (double v : result_rows::values(r, i)) {
                    out << ',' << result_rows::number(v);
                    ++written;
                }
                if (written == 0) out << ',';  // an event without a value: the value stays empty
                written = std::max<size_t>(written, 1);
            }
            for (; written < columns; ++written) out << ',';
            out << "\r\n";
        }
    }
}

std::string results_to_csv(std::span<const analyzer_result> results) {
    std::ostringstream out;
    write_csv(out, results);
    return std::move(out).str();
}

}  // namespace timeside
