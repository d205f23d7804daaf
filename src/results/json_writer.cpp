// The JSON serializer: data_object keys follow TimeSide's per-mode classes
// (GlobalValueObject: value, y_value; FrameValueObject: + frame_metadata; ...).
#include "results/json_writer.hpp"

#include <algorithm>
#include <cmath>

namespace timeside {

namespace {

nlohmann::json finite(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

nlohmann::json numpy_array(const std::vector<double>& v, size_t width = 0) {
    nlohmann::json a = nlohmann::json::array();
    if (width == 0) {
        for (double x : v) a.push_back(finite(x));
    } else {
        for (size_t row = 0; row + width <= v.size(); row += width) {
            nlohmann::json r = nlohmann::json::array();
            for (size_t i = 0; i < width; ++i) r.push_back(finite(v[row + i]));
            a.push_back(std::move(r));
        }
    }
    return {{"numpyArray", std::move(a)}, {"dtype", "float64"}};
}

nlohmann::json numpy_array(const std::vector<int>& v) {
    return {{"numpyArray", v}, {"dtype", "int64"}};
}

nlohmann::json label_map(const std::map<int, std::string>& m) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [k, v] : m) j[std::to_string(k)] = v;
    return j;
}

}  // namespace

nlohmann::json result_to_json(const analyzer_result& r) {
    nlohmann::json data = nlohmann::json::object();
    if (r.dmode == data_mode::value) {
        data["value"] = numpy_array(r.data.value, r.data.width);
        // Columns named rather than placed (a Vamp output's binNames, kept in the label metadata
        // by column): their names are the y_value labels, as strings.
        if (r.data.y_value.empty() && !r.labels.label.empty()) {
            const size_t columns = std::max<size_t>(r.data.width, 1);
            nlohmann::json names = nlohmann::json::array();
            for (size_t i = 0; i < columns; ++i) {
                auto it = r.labels.label.find(static_cast<int>(i));
                names.push_back(it == r.labels.label.end() ? std::string() : it->second);
            }
            data["y_value"] = {{"numpyArray", std::move(names)}, {"dtype", "str"}};
        } else {
            data["y_value"] = numpy_array(r.data.y_value);
        }
    } else {
        data["label"] = numpy_array(r.data.label);
        data["label_metadata"] = {{"label", label_map(r.labels.label)},
                                  {"description", label_map(r.labels.description)},
                                  {"label_type", r.labels.label_type}};
    }
    if (r.tmode == time_mode::framewise)
        data["frame_metadata"] = {{"samplerate", r.frames.samplerate},
                                  {"blocksize", r.frames.blocksize},
                                  {"stepsize", r.frames.stepsize}};
    if (r.tmode == time_mode::event || r.tmode == time_mode::segment) data["time"] = numpy_array(r.data.time);
    if (r.tmode == time_mode::segment) data["duration"] = numpy_array(r.data.duration);

    return {{"id_metadata",
             {{"id", r.id.id},
              {"name", r.id.name},
              {"unit", r.id.unit},
              {"description", r.id.description},
              {"date", r.id.date},
              {"version", r.id.version},
              {"author", r.id.author},
              {"proc_uuid", r.id.proc_uuid}}},
            {"data_object", std::move(data)},
            {"audio_metadata",
             {{"uri", r.audio.uri},
              {"start", r.audio.start},
              {"duration", r.audio.duration},
              {"is_segment", r.audio.is_segment},
              {"sha1", r.audio.sha1},
              {"channels", r.audio.channels},
              {"channelsManagement", r.audio.channels_management}}},
            {"parameters", r.parameters},
            {"data_mode", to_string(r.dmode)},
            {"time_mode", to_string(r.tmode)}};
}

std::string results_to_json(std::span<const analyzer_result> results, int indent) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& r : results) a.push_back(result_to_json(r));
    return a.dump(indent);
}

}  // namespace timeside
