// Results as JSON in TimeSide's shape: a list of {id_metadata, data_object, audio_metadata,
// parameters, data_mode, time_mode}, arrays as {"numpyArray": [...], "dtype": "..."} so that
// TimeSide's AnalyzerResultContainer.from_json reads our files.
#pragma once

#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace timeside {

nlohmann::json result_to_json(const analyzer_result& r);
std::string results_to_json(std::span<const analyzer_result> results, int indent = -1);

}  // namespace timeside
