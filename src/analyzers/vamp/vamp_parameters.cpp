// Mapping Vamp's ParameterDescriptor, programs and preferred sizes onto parameter_spec.
#include "analyzers/vamp/vamp_parameters.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <vamp-hostsdk/PluginInputDomainAdapter.h>
#include <vamp-hostsdk/PluginWrapper.h>

namespace timeside::vamp {

namespace {

constexpr const char* program_name = "program";
constexpr const char* block_name = "input_blocksize";
constexpr const char* step_name = "input_stepsize";
constexpr int64_t max_block = 1 << 20;
constexpr int64_t max_fft = 1 << 16;

bool is_whole(float v) { return std::floor(v) == v; }

// Integer-valued when quantized by 1 over a range of whole numbers.
bool is_integer(const vamp_parameter& d) {
    return d.isQuantized && d.quantizeStep == 1.0f && is_whole(d.minValue) && is_whole(d.maxValue);
}

// Value names become choices when there is one distinct, non-empty name per integer value.
bool is_enumerated(const vamp_parameter& d) {
    if (!is_integer(d) || d.valueNames.empty()) return false;
    if (static_cast<double>(d.valueNames.size()) != double(d.maxValue) - d.minValue + 1) return false;
    for (size_t i = 0; i < d.valueNames.size(); ++i) {
        if (d.valueNames[i].empty()) return false;
        for (size_t j = 0; j < i; ++j)
            if (d.valueNames[j] == d.valueNames[i]) return false;
    }
    return true;
}

// Behind the host SDK's input-domain adapter a frequency-domain plugin presents itself as a
// time-domain one: the adapter's presence says what the plugin itself wants.
bool frequency_domain(const _VampHost::Vamp::Plugin& p) {
    namespace ext = _VampHost::Vamp::HostExt;
    if (auto* w = dynamic_cast<const ext::PluginWrapper*>(&p))
        if (const_cast<ext::PluginWrapper*>(w)->getWrapper<ext::PluginInputDomainAdapter>()) return true;
    return p.getInputDomain() == _VampHost::Vamp::Plugin::FrequencyDomain;
}

std::string describe(const vamp_parameter& d) {
    return d.description.empty() ? d.name : d.name + ": " + d.description;
}

}  // namespace

std::string parameter_name(const std::string& id) {
    return id == program_name || id == block_name || id == step_name ? "param_" + id : id;
}

parameter_spec parameter_from_vamp(const vamp_parameter& d) {
    const std::string name = parameter_name(d.identifier);
    if (is_enumerated(d)) {
        const auto index = static_cast<size_t>(std::lround(d.defaultValue - d.minValue));
        return choice_param(name, describe(d), d.valueNames.at(std::min(index, d.valueNames.size() - 1)),
                            d.valueNames);
    }
    if (is_integer(d))
        return integer_param(name, describe(d), std::lround(d.defaultValue), std::lround(d.minValue),
                             std::lround(d.maxValue), d.unit);
    return number_param(name, describe(d), d.defaultValue, d.minValue, d.maxValue, d.unit);
}

float vamp_value(const vamp_parameter& d, const parameter_set& values) {
    const std::string name = parameter_name(d.identifier);
    if (is_enumerated(d)) {
        const auto& chosen = values.string(name);
        for (size_t i = 0; i < d.valueNames.size(); ++i)
            if (d.valueNames[i] == chosen) return d.minValue + static_cast<float>(i);
    }
    if (is_integer(d)) return static_cast<float>(values.integer(name));
    double v = values.number(name);
    if (d.isQuantized && d.quantizeStep > 0)
        v = std::min<double>(d.maxValue, d.minValue + std::round((v - d.minValue) / d.quantizeStep) * d.quantizeStep);
    return static_cast<float>(v);
}

block_sizes preferred_sizes(int block, int step, bool frequency_domain) {
    if (block <= 0) block = 1024;
    if (step <= 0)
        step = frequency_domain ? block / 2 : block;
    else if (step > block)
        block = frequency_domain ? step * 2 : step;
    return {block, step};
}

std::vector<parameter_spec> declare_parameters(const _VampHost::Vamp::Plugin& plugin) {
    std::vector<parameter_spec> specs;
    for (const auto& d : plugin.getParameterDescriptors()) specs.push_back(parameter_from_vamp(d));
    if (auto programs = plugin.getPrograms(); !programs.empty()) {
        std::string current = plugin.getCurrentProgram();
        if (current.empty()) current = programs.front();
        specs.push_back(choice_param(program_name, "Program (a preset of the plugin's parameters; "
                                                   "parameters given beside it override it)",
                                     current, std::move(programs)));
    }
    const bool freq = frequency_domain(plugin);
    const auto sizes = preferred_sizes(static_cast<int>(plugin.getPreferredBlockSize()),
                                       static_cast<int>(plugin.getPreferredStepSize()), freq);
    if (freq) {
        // The input-domain adapter takes even sizes only; the powers of two, and the plugin's own.
        std::vector<int64_t> sizes_allowed;
        for (int64_t n = 2; n <= max_fft; n *= 2) sizes_allowed.push_back(n);
        if (std::find(sizes_allowed.begin(), sizes_allowed.end(), sizes.block) == sizes_allowed.end()) {
            sizes_allowed.push_back(sizes.block);
            std::sort(sizes_allowed.begin(), sizes_allowed.end());
        }
        specs.push_back(integer_choice_param(block_name,
                                             "frames per analysis window (also the FFT size); the plugin's preferred "
                                             "size by default",
                                             sizes.block, std::move(sizes_allowed)));
    } else {
        specs.push_back(integer_param(block_name, "frames per block handed to the plugin; its preferred size by default",
                                      sizes.block, 1, max_block));
    }
    specs.push_back(integer_param(step_name, "frames between block starts; the plugin's preferred step by default (half of input_blocksize, or all of "
                                  "it in the time domain, when only input_blocksize is given)",
                                  sizes.step, 1, max_block));
    return specs;
}

block_sizes apply_parameters(_VampHost::Vamp::Plugin& plugin, const parameter_set& values) {
    if (values.has(program_name) && values.given(program_name)) plugin.selectProgram(values.string(program_name));
    for (const auto& d : plugin.getParameterDescriptors())
        if (values.given(parameter_name(d.identifier))) plugin.setParameter(d.identifier, vamp_value(d, values));
    const bool freq = frequency_domain(plugin);
    auto sizes = preferred_sizes(static_cast<int>(plugin.getPreferredBlockSize()),
                                 static_cast<int>(plugin.getPreferredStepSize()), freq);
    if (values.given(block_name)) sizes.block = static_cast<int>(values.integer(block_name));
    if (values.given(step_name)) sizes.step = static_cast<int>(values.integer(step_name));
    // Only the block given: the step the reference host gives a plugin with no preference (half the
    // block in the frequency domain, the whole block in time), not one meant for another block.
    if (values.given(block_name) && !values.given(step_name)) sizes.step = preferred_sizes(sizes.block, 0, freq).step;
    if (sizes.step > sizes.block) sizes = preferred_sizes(sizes.block, sizes.step, freq);
    return sizes;
}

}  // namespace timeside::vamp
