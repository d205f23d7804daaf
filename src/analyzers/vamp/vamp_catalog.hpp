// Every output of every installed Vamp plugin, described once per process as a TimeSide analyzer
// (its processor_info: id, name, parameters) and registered in the core registry beside the
// built-in analyzers. Libraries or plugins that cannot be loaded are skipped with a message.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <vamp-hostsdk/Plugin.h>

#include "analyzers/vamp/vamp_library.hpp"
#include "core/processor.hpp"

namespace timeside {
class registry;
}

namespace timeside::vamp {

struct output_entry {
    processor_info info;
    std::shared_ptr<const library> lib;
    const VampPluginDescriptor* descriptor = nullptr;
    std::string plugin;  // the plugin's identifier in its library
    std::string output;  // the output's identifier
    std::string key() const { return lib->key() + ":" + plugin + ":" + output; }
};

// The plugin, at this sample rate, behind the host SDK's adapters as PluginLoader's
// ADAPT_ALL_SAFE builds them (and vamp-simple-host uses): input domain (its FFT, Hann window,
// timestamps shifted by half a block), then channel count (mixdown or duplication).
std::unique_ptr<_VampHost::Vamp::Plugin> instantiate(const VampPluginDescriptor* d, int samplerate);

using skip_fn = std::function<void(const std::string& what, const std::string& reason)>;

// One entry per output of every plugin in the libraries, ids from vamp_ids.hpp.
std::deque<output_entry> describe_outputs(const std::vector<std::shared_ptr<const library>>& libs, const skip_fn& on_skip);

// The process's catalog: the libraries in plugin_folders(), described at first use; skipped ones
// are reported on stderr once.
const std::deque<output_entry>& installed_outputs();

}  // namespace timeside::vamp

namespace timeside {
void register_vamp_analyzers(registry& r);
}
