// Finding Vamp plugin libraries: the folders searched ($VAMP_PATH, Vamp's defaults, Debian's
// multiarch folder), and one loaded library (dlopen handle, kept open) with its plugin descriptors.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <vamp/vamp.h>

namespace timeside::vamp {

// $VAMP_PATH's folders first (colon-separated), then Vamp's defaults ($HOME/vamp, $HOME/.vamp,
// /usr/local/lib/vamp, /usr/lib/vamp), then /usr/lib/<multiarch triplet>/vamp, where Debian
// installs plugins and Vamp's own hosts do not look. Duplicates removed, order kept.
std::vector<std::string> plugin_folders(const char* vamp_path, const char* home);
std::vector<std::string> plugin_folders();  // from the environment

// The library key Vamp's hosts use: the file name without folder and extension, lower case
// ("/usr/lib/vamp/vamp-rubberband.so" -> "vamp-rubberband").
std::string library_key(std::string_view path);

// One plugin library, opened once for the life of the process (plugins' objects and static data
// point into it). Non-copyable; shared by every processor made from it.
class library {
public:
    // Throws processing_error naming the file and the cause (dlopen's message, no entry point).
    explicit library(std::string path);
    ~library();
    library(const library&) = delete;
    library& operator=(const library&) = delete;

    const std::string& path() const { return path_; }
    const std::string& key() const { return key_; }
    const std::vector<const VampPluginDescriptor*>& descriptors() const { return descriptors_; }

private:
    std::string path_, key_;
    void* handle_ = nullptr;
    std::vector<const VampPluginDescriptor*> descriptors_;
};

// Every *.so in the folders, one per library key (the first folder that has it wins, as in Vamp's
// loader). A library that cannot be opened is skipped: `on_skip(path, reason)` is told why.
std::vector<std::shared_ptr<const library>> load_libraries(
    const std::vector<std::string>& folders, const std::function<void(const std::string&, const std::string&)>& on_skip);

}  // namespace timeside::vamp
