// TimeSide's result model: what an analyzer found, how its values map to time, and what audio
// and parameters produced it. Serializers in src/results/ turn it into JSON, CSV, ...
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace timeside {

enum class data_mode { value, label };
enum class time_mode { global, framewise, event, segment };
const char* to_string(data_mode m);
const char* to_string(time_mode m);

// How a live feed sums up a result's per-block values over an interval of its rate (the events
// decimator): their mean, their max (peak levels), or their power mean (RMS levels in dB:
// 10·log10 of the mean of 10^(v/10), each row weighted by the frames it covers).
enum class aggregation { mean, max, power_mean };
const char* to_string(aggregation a);

struct id_metadata {
    std::string id, name, unit, description, date, version, author, proc_uuid;
};

struct audio_metadata {
    std::string uri;
    double start = 0;
    double duration = 0;
    bool is_segment = false;
    std::string sha1;
    int channels = 0;
    std::string channels_management;
};

struct frame_metadata {
    int samplerate = 0;
    int blocksize = 0;
    int stepsize = 0;
};

struct label_metadata {
    std::map<int, std::string> label;        // label id -> name
    std::map<int, std::string> description;  // label id -> description
    std::string label_type = "mono";
};

struct data_object {
    // Values, row-major. width == 0: one value per row (a 1-D array); width > 0: rows of `width`
    // values (a 2-D array, e.g. one spectrum per frame).
    std::vector<double> value;
    size_t width = 0;
    std::vector<int> label;
    std::vector<double> time;      // event and segment modes, seconds
    std::vector<double> duration;  // segment mode, seconds
    std::vector<double> y_value;   // what each column means (bin frequencies...)
};

struct analyzer_result {
    data_mode dmode = data_mode::value;
    time_mode tmode = time_mode::global;
    id_metadata id;
    data_object data;
    audio_metadata audio;
    frame_metadata frames;  // framewise only
    label_metadata labels;  // label mode only
    nlohmann::json parameters = nlohmann::json::object();
    size_t appended_rows = 0;  // framewise rows computed, kept here or only sent to a row sink
    // For live feeds only (not TimeSide's model: no serializer writes them): how an interval of its
    // per-block values is summed up, and what each value of a row is of: "channel" (one value per
    // channel of the input, in its order), or empty (a single value, or components named otherwise).
    aggregation interval_aggregate = aggregation::mean;
    std::string value_axis;

    const std::string& result_id() const { return id.id; }
    size_t rows() const;
    // Time and duration of row i in seconds from the stream's start, whatever the time mode.
    double time_at(size_t i) const;
    double duration_at(size_t i) const;
};

}  // namespace timeside
