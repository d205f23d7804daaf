// The WebVTT serializer: cues are collected (times and where their payload comes from, not the
// payload itself), sorted by start, then written one by one.
#include "results/vtt_writer.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "results/result_rows.hpp"

namespace timeside {

namespace {

struct cue {
    int64_t start_ms, end_ms;
    size_t result, row;
};

int64_t to_ms(double seconds) { return static_cast<int64_t>(std::llround(std::max(0.0, seconds) * 1000.0)); }

nlohmann::json number_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

std::string payload(const analyzer_result& r, size_t i) {
    nlohmann::json j = {{"id", r.result_id()}};
    if (result_rows::has_label(r, i)) {
        j["label"] = result_rows::label_name(r, r.data.label[i]);
        j["label_id"] = r.data.label[i];
    } else if (auto v = result_rows::values(r, i); v.size() == 1) {
        j["value"] = number_or_null(v[0]);
    } else if (!v.empty()) {
        nlohmann::json a = nlohmann::json::array();
        for (double x : v) a.push_back(number_or_null(x));
        j["value"] = std::move(a);
    }
    // A payload line must not hold "-->" (it would read as a timing line): escape every '>'.
    std::string text = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        if (c == '>')
            out += "\\u003e";
        else
            out += c;
    }
    return out;
}

}  // namespace

std::string vtt_timestamp(int64_t ms) {
    ms = std::max<int64_t>(0, ms);
    return fmt::format("{:02}:{:02}:{:02}.{:03}", ms / 3600000, ms / 60000 % 60, ms / 1000 % 60, ms % 1000);
}

void write_vtt(std::ostream& out, std::span<const analyzer_result> results) {
    std::vector<cue> cues;
    for (size_t k = 0; k < results.size(); ++k) {
        const auto& r = results[k];
        if (r.tmode == time_mode::framewise) continue;
        const size_t rows = result_rows::count(r);
        for (size_t i = 0; i < rows; ++i) {
            const int64_t start = to_ms(result_rows::time_of(r, i));
            int64_t end = r.tmode == time_mode::event ? start : to_ms(r.time_at(i) + r.duration_at(i));
            end = std::max(end, start + 1);
            cues.push_back({start, end, k, i});
        }
    }
    std::stable_sort(cues.begin(), cues.end(), [](const cue& a, const cue& b) { return a.start_ms < b.start_ms; });

    out << "WEBVTT\n";
    for (const auto& c : cues) {
        const auto& r = results[c.result];
        out << '\n'
            << r.result_id() << '#' << c.row + 1 << '\n'
            << vtt_timestamp(c.start_ms) << " --> " << vtt_timestamp(c.end_ms) << '\n'
            << payload(r, c.row) << '\n';
    }
}

std::string results_to_vtt(std::span<const analyzer_result> results) {
    std::ostringstream out;
    write_vtt(out, results);
    return std::move(out).str();
}

}  // namespace timeside
