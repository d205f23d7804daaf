// Loading TimeSide plugin libraries (plugin_api.hpp): the folders searched, and each *.so found
// there opened, checked (entry point, interface version, build fingerprint) and registered whole
// or not at all. A broken library is skipped with its file and the cause; nothing here is fatal.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace timeside {

class registry;

// $TIMESIDE_PLUGIN_PATH's folders (colon-separated), then `configured` (the server config's
// [plugins] folders), then the installation's: <prefix>/<libdir>/timeside/plugins, found beside
// the binary (bin/../<libdir>/timeside/plugins) and at the configured prefix. Duplicates removed.
std::vector<std::filesystem::path> plugin_folders(const char* plugin_path,
                                                  const std::vector<std::filesystem::path>& configured);

using plugin_skip_fn = std::function<void(const std::filesystem::path& file, const std::string& reason)>;

// Every *.so in `folders` (in folder order, by name within one), each file once however often it
// is found, registered into `r` with the file as its processors' origin. Returns the files whose
// processors were registered. Loaded libraries stay open for the life of the process.
std::vector<std::filesystem::path> load_plugins(registry& r, const std::vector<std::filesystem::path>& folders,
                                                const plugin_skip_fn& on_skip);

// The default registry's plugins: called once at start by `list`, `run` and `serve` with the
// configured folders (serve's [plugins] folders; none for the others), before anything uses
// default_registry(), which it then builds so that skipped plugins are reported at start.
void load_default_plugins(const std::vector<std::filesystem::path>& configured);

// default_registry() calls it after the built-in processors: the folders of plugin_folders()
// with $TIMESIDE_PLUGIN_PATH and the folders given to load_default_plugins(); skips on stderr
// ("timeside: plugin FILE skipped: CAUSE").
void register_plugins(registry& r);

}  // namespace timeside
