// Processor ids for Vamp plugin outputs, in TimeSide's id alphabet (^[a-z][_a-z0-9]*$):
// vamp_<plugin>_<output>, or vamp_<library>_<plugin>_<output> where two libraries share a plugin id.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace timeside::vamp {

// Lower case; every character outside [a-z0-9] becomes '_', runs of '_' collapse to one, and
// leading and trailing '_' go ("vamp-example-plugins" -> "vamp_example_plugins").
std::string id_part(std::string_view key);

struct output_key {
    std::string library, plugin, output;  // Vamp's keys, as the plugin declares them
};

// One id per key, in the same order: without the library unless another library's output would
// get the same id.
std::vector<std::string> processor_ids(const std::vector<output_key>& keys);

}  // namespace timeside::vamp
