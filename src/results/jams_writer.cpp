// The JAMS serializer. Observations are written one by one rather than built as one JSON tree,
// so a long framewise result costs its text, not a second copy in memory.
#include "results/jams_writer.hpp"

#include <cmath>
#include <sstream>

#include <nlohmann/json.hpp>

#include "results/result_rows.hpp"

#ifndef TIMESIDE_VERSION
#define TIMESIDE_VERSION "0"
#endif

namespace timeside {

namespace {

using nlohmann::json;

std::string num(double v) { return std::isfinite(v) ? result_rows::number(v) : "null"; }

void observation(std::ostream& out, bool& first, double time, double duration, std::string_view value,
                 std::string_view confidence = "null") {
    out << (first ? "\n    " : ",\n    ") << "{\"time\": " << num(std::max(0.0, time))
        << ", \"duration\": " << num(std::max(0.0, duration)) << ", \"value\": " << value
        << ", \"confidence\": " << confidence << '}';
    first = false;
}

const analyzer_result* find(std::span<const analyzer_result> results, std::string_view id) {
    for (const auto& r : results)
        if (r.result_id() == id) return &r;
    return nullptr;
}

json annotation_head(const analyzer_result& r, const std::string& ns) {
    json sandbox = {{"id", r.id.id},
                    {"name", r.id.name},
                    {"unit", r.id.unit},
                    {"description", r.id.description},
                    {"data_mode", to_string(r.dmode)},
                    {"time_mode", to_string(r.tmode)},
                    {"parameters", r.parameters}};
    if (r.tmode == time_mode::framewise)
        sandbox["frame_metadata"] = {{"samplerate", r.frames.samplerate},
                                     {"blocksize", r.frames.blocksize},
                                     {"stepsize", r.frames.stepsize}};
    return {{"annotation_metadata",
             {{"curator", {{"name", ""}, {"email", ""}}},
              {"annotator", {{"name", "TimeSide"}, {"processor", r.id.name}, {"proc_uuid", r.id.proc_uuid}}},
              {"version", r.id.version},
              {"corpus", ""},
              {"annotation_tools", "TimeSide " TIMESIDE_VERSION},
              {"annotation_rules", ""},
              {"validation", ""},
              {"data_source", "TimeSide analyzer " + r.id.id + " (" + r.id.date + ")"}}},
            {"namespace", ns},
            {"sandbox", {{"timeside", std::move(sandbox)}}},
            {"time", 0.0},
            {"duration", std::max(0.0, r.audio.duration)}};
}

std::string values_array(std::span<const double> v) {
    std::string s = "[";
    for (size_t k = 0; k < v.size(); ++k) s += (k ? ", " : "") + num(v[k]);
    return s + "]";
}

// Framewise labels become segments: one per run of equal labels, ending where the next begins.
void label_runs(std::ostream& out, bool& first, const analyzer_result& r) {
    const size_t rows = r.data.label.size();
    for (size_t i = 0; i < rows;) {
        size_t j = i + 1;
        while (j < rows && r.data.label[j] == r.data.label[i]) ++j;
        const double start = result_rows::time_of(r, i);
        double end = j < rows ? r.time_at(j) : r.time_at(j - 1) + r.duration_at(j - 1);
        if (j == rows && r.audio.duration > 0) end = std::min(end, r.audio.duration);
        observation(out, first, start, end - start, json(result_rows::label_name(r, r.data.label[i])).dump());
        i = j;
    }
}

void write_data(std::ostream& out, const analyzer_result& r, const std::string& ns,
                std::span<const analyzer_result> all) {
    bool first = true;
    const size_t rows = result_rows::count(r);
    const bool point = ns == "onset" || ns == "beat" || ns == "pitch_contour" || r.tmode == time_mode::event;
    auto duration = [&](size_t i) { return point ? 0.0 : result_rows::duration_of(r, i); };

    if (ns == "pitch_contour") {
        const analyzer_result* conf = find(all, "aubio_pitch.pitch_confidence");
        if (conf && result_rows::count(*conf) != rows) conf = nullptr;
        for (size_t i = 0; i < rows; ++i) {
            auto v = result_rows::values(r, i);
            const double f = v.empty() ? NAN : v[0];
            const bool voiced = std::isfinite(f) && f > 0;
            std::string value = fmt::format("{{\"index\": 0, \"frequency\": {}, \"voiced\": {}}}",
                                            num(std::isfinite(f) ? std::fabs(f) : 0.0), voiced ? "true" : "false");
            auto c = conf ? result_rows::values(*conf, i) : std::span<const double>{};
            observation(out, first, result_rows::time_of(r, i), 0.0, value, c.empty() ? "null" : num(c[0]));
        }
    } else if (ns == "tempo") {
        for (size_t i = 0; i < rows; ++i) {
            auto v = result_rows::values(r, i);
            if (v.empty() || !std::isfinite(v[0]) || v[0] < 0) continue;  // the schema wants a tempo >= 0
            observation(out, first, result_rows::time_of(r, i), duration(i), num(v[0]), "1.0");
        }
    } else if (r.dmode == data_mode::label && r.tmode == time_mode::framewise) {
        label_runs(out, first, r);
    } else if (r.dmode == data_mode::label) {
        for (size_t i = 0; i < rows; ++i) {
            if (!result_rows::has_label(r, i)) continue;
            const std::string value =
                ns == "onset" || ns == "beat" ? "null" : json(result_rows::label_name(r, r.data.label[i])).dump();
            observation(out, first, result_rows::time_of(r, i), duration(i), value);
        }
    } else {
        for (size_t i = 0; i < rows; ++i) {
            auto v = result_rows::values(r, i);
            std::string value;
            if (ns == "beat")
                value = "null";
            else if (ns == "onset")
                value = v.empty() ? "null" : num(v[0]);
            else if (v.empty())
                continue;  // a vector has at least one number
            else
                value = values_array(v);
            observation(out, first, result_rows::time_of(r, i), duration(i), value);
        }
    }
    out << (first ? "]" : "\n  ]");
}

}  // namespace

std::string jams_namespace(const analyzer_result& r) {
    const std::string& id = r.result_id();
    if (id == "aubio_temporal.onset") return "onset";
    if (id == "aubio_temporal.beat") return "beat";
    if (id == "aubio_temporal.bpm") return "tempo";
    if (id == "aubio_pitch.pitch") return "pitch_contour";
    if (id == "aubio_silence") return "segment_open";
    if (r.dmode == data_mode::label)
        return r.tmode == time_mode::segment || r.tmode == time_mode::framewise ? "segment_open" : "tag_open";
    return "vector";
}

void write_jams(std::ostream& out, std::span<const analyzer_result> results) {
    const audio_metadata audio = results.empty() ? audio_metadata{} : results.front().audio;
    json file_metadata = {{"title", ""},
                          {"artist", ""},
                          {"release", ""},
                          {"duration", std::max(0.0, audio.duration)},
                          {"identifiers", json::object()},
                          {"jams_version", "0.3.4"}};
    json sandbox = {{"timeside",
                     {{"uri", audio.uri},
                      {"sha1", audio.sha1},
                      {"start", audio.start},
                      {"is_segment", audio.is_segment},
                      {"channels", audio.channels},
                      {"version", TIMESIDE_VERSION}}}};
    const auto dump = [](const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); };

    out << "{\n\"file_metadata\": " << dump(file_metadata) << ",\n\"sandbox\": " << dump(sandbox)
        << ",\n\"annotations\": [";
    for (size_t k = 0; k < results.size(); ++k) {
        const auto& r = results[k];
        const std::string ns = jams_namespace(r);
        std::string head = dump(annotation_head(r, ns));
        head.pop_back();  // reopen the object to add its data
        out << (k ? ",\n" : "\n") << "  " << head << ",\n  \"data\": [";
        write_data(out, r, ns, results);
        out << '}';
    }
    out << (results.empty() ? "]\n}\n" : "\n]\n}\n");
}

std::string results_to_jams(std::span<const analyzer_result> results) {
    std::ostringstream out;
    write_jams(out, results);
    return std::move(out).str();
}

}  // namespace timeside
