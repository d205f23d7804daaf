// Results as an Audacity label track (File > Import > Labels): one "start\tend\tlabel" line per
// event (start = end, a point label) and per segment (a region label), in seconds with six
// decimals as Audacity itself exports them. Global and framewise results have no place there.
#pragma once

#include <ostream>
#include <span>
#include <string>

#include "core/result.hpp"

namespace timeside {

// Label text: "<result id>: <label name>" for label results, "<result id>: <v1> <v2>..." for
// value results, "<result id>" for events without a value. Tabs and line breaks in names become
// spaces (they would split the line). Lines are sorted by start time, as Audacity shows them.
void write_audacity_labels(std::ostream& out, std::span<const analyzer_result> results);
std::string results_to_audacity_labels(std::span<const analyzer_result> results);

}  // namespace timeside
