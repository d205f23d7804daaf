// Results as a WebVTT metadata track (<track kind="metadata">): "WEBVTT", then one cue per event,
// segment and global result, in start-time order as the format requires, each carrying one line
// of JSON: {"id": result id, "value": x | [x, ...]} or {"id", "label": name, "label_id": n}.
#pragma once

#include <ostream>
#include <span>
#include <string>

#include "core/result.hpp"

namespace timeside {

// Cue timings are HH:MM:SS.mmm. Segments span [time, time + duration]; an event lasts one
// millisecond (the format's resolution: a cue must end after it starts); a global result spans
// the whole audio. Framewise results are left out: a cue per spectrogram frame is a track no
// player needs (their rows are in JSON, CSV and HDF5). Cue identifiers are "<result id>#<n>".
void write_vtt(std::ostream& out, std::span<const analyzer_result> results);
std::string results_to_vtt(std::span<const analyzer_result> results);

// "HH:MM:SS.mmm" (hours keep growing past 99), rounded to the millisecond.
std::string vtt_timestamp(int64_t milliseconds);

}  // namespace timeside
