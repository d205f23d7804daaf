// Time arithmetic shared by every serializer, so framewise times are computed in one place.
#include "core/result.hpp"

namespace timeside {

const char* to_string(data_mode m) { return m == data_mode::value ? "value" : "label"; }

const char* to_string(time_mode m) {
    switch (m) {
        case time_mode::global: return "global";
        case time_mode::framewise: return "framewise";
        case time_mode::event: return "event";
        case time_mode::segment: return "segment";
    }
    return "?";
}

const char* to_string(aggregation a) {
    switch (a) {
        case aggregation::mean: return "mean";
        case aggregation::max: return "max";
        case aggregation::power_mean: return "power_mean";
    }
    return "?";
}

size_t analyzer_result::rows() const {
    if (dmode == data_mode::label) return data.label.size();
    return data.width == 0 ? data.value.size() : data.value.size() / data.width;
}

double analyzer_result::time_at(size_t i) const {
    switch (tmode) {
        case time_mode::global: return 0.0;
        case time_mode::framewise:
            return frames.samplerate ? static_cast<double>(i) * frames.stepsize / frames.samplerate : 0.0;
        case time_mode::event:
        case time_mode::segment: return i < data.time.size() ? data.time[i] : 0.0;
    }
    return 0.0;
}

double analyzer_result::duration_at(size_t i) const {
    switch (tmode) {
        case time_mode::global: return audio.duration;
        case time_mode::framewise:
            return frames.samplerate ? static_cast<double>(frames.blocksize) / frames.samplerate : 0.0;
        case time_mode::event: return 0.0;
        case time_mode::segment: return i < data.duration.size() ? data.duration[i] : 0.0;
    }
    return 0.0;
}

}  // namespace timeside
