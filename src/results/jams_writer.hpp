// Results as JAMS (JSON Annotated Music Specification, jams 0.3): file_metadata (duration from
// the audio metadata), one annotation per result, each a namespace and a list of observations
// {time, duration, value, confidence}; TimeSide's ids, units and parameters in the sandboxes.
#pragma once

#include <ostream>
#include <span>
#include <string>

#include "core/result.hpp"

namespace timeside {

// Namespaces, by result id first:
//   aubio_temporal.onset -> onset (duration 0, value null or the result's value)
//   aubio_temporal.beat  -> beat (duration 0, value null: no metrical position is known)
//   aubio_temporal.bpm   -> tempo (value in BPM, confidence 1: the schema requires a number)
//   aubio_pitch.pitch    -> pitch_contour (value {index 0, frequency |f|, voiced f > 0},
//                           confidence from aubio_pitch.pitch_confidence when it is there)
//   aubio_silence        -> segment_open (value: the label's name)
// then by kind: other label results -> segment_open (segment, or framewise with runs of one
// label merged into segments) or tag_open (event, global); other value results -> vector (the
// row's values; global results span the file). Every result is written; non-finite values are null.
void write_jams(std::ostream& out, std::span<const analyzer_result> results);
std::string results_to_jams(std::span<const analyzer_result> results);

// The JAMS namespace a result goes to (see above).
std::string jams_namespace(const analyzer_result& r);

}  // namespace timeside
