// Vamp parameters as TimeSide's declared parameters, and back: ranges and defaults as the plugin
// declares them, integers where quantized by 1, value names as choices, programs as `program`,
// preferred block and step sizes as `input_blocksize` / `input_stepsize`.
#pragma once

#include <string>
#include <vector>

#include <vamp-hostsdk/Plugin.h>

#include "core/parameters.hpp"

namespace timeside::vamp {

using vamp_parameter = _VampHost::Vamp::PluginBase::ParameterDescriptor;

// The declared name of a Vamp parameter: its identifier, unless it is one of ours below.
std::string parameter_name(const std::string& vamp_identifier);

parameter_spec parameter_from_vamp(const vamp_parameter& d);
// The value to hand to setParameter for a validated value of `spec` (a choice's index mapped to
// the plugin's range; numbers snapped to the plugin's quantize step).
float vamp_value(const vamp_parameter& d, const parameter_set& values);

// What vamp-simple-host uses when the plugin has no preference: 1024 frames per block; a step of
// half a block (frequency domain) or a whole block (time domain). A step larger than the block
// makes the block twice the step (frequency domain) or equal to it.
struct block_sizes {
    int block = 0, step = 0;
};
block_sizes preferred_sizes(int preferred_block, int preferred_step, bool frequency_domain);

// Every parameter of the plugin, then `program` (when it has programs), then the block sizes.
std::vector<parameter_spec> declare_parameters(const _VampHost::Vamp::Plugin& plugin);

// Selects the program if given, then sets every plugin parameter the caller gave (the rest keep the
// plugin's, or the program's, values). Returns the block sizes: the given ones, else the plugin's
// preferred ones once its parameters are set.
block_sizes apply_parameters(_VampHost::Vamp::Plugin& plugin, const parameter_set& values);

}  // namespace timeside::vamp
