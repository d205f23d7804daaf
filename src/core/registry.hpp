// The processor registry (TimeSide's get_processor / list_processors). Built once from one
// explicit list (each folder's register_* function, called in registry.cpp): no static registrars.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/errors.hpp"
#include "core/processor.hpp"

namespace timeside {

using processor_factory = std::function<std::shared_ptr<processor>(parameter_set)>;

// Where a processor comes from: built into the binary, a Vamp plugin library, or a TimeSide
// plugin library (plugin_loader.hpp); `file` is the library's path for the latter two.
struct processor_origin {
    enum class kind { builtin, vamp, plugin } from = kind::builtin;
    std::string file;
    // "" for built-ins, " [vamp FILE]", " [plugin FILE]": what `timeside list` appends.
    std::string suffix() const;
    const char* name() const;  // "built-in", "vamp", "plugin"
};

class registry {
public:
    void add(const processor_info& info, processor_factory make, processor_origin origin = {});
    // Throws what add() would (an id outside the alphabet, an id taken) without adding.
    void check_new(const processor_info& info) const;

    template <class T>
    void add() {
        add(T::describe(), [](parameter_set p) { return std::make_shared<T>(std::move(p)); });
    }

    const processor_info* find(std::string_view id) const;
    // Validates the parameters, then builds; usage_error names an unknown id and the valid ones.
    std::shared_ptr<processor> make(std::string_view id, const raw_parameters& params = {}) const;
    std::vector<const processor_info*> list() const;  // by kind, then id
    // The origin of a registered id (a built-in's for an unknown one).
    const processor_origin& origin(std::string_view id) const;

private:
    struct entry {
        const processor_info* info;
        processor_factory make;
        processor_origin origin;
    };
    std::map<std::string, entry, std::less<>> entries_;
};

const registry& default_registry();

std::shared_ptr<processor> get_processor(std::string_view id, const raw_parameters& params = {});

template <class T>
std::shared_ptr<T> get_processor_as(std::string_view id, const raw_parameters& params = {}) {
    auto p = std::dynamic_pointer_cast<T>(get_processor(id, params));
    if (!p) throw usage_error("processor '" + std::string(id) + "' is not of the kind asked for");
    return p;
}

// TimeSide's listing: each kind's interface name underlined, then "  * id version: description",
// followed for processors from a library by " [vamp FILE]" or " [plugin FILE]".
std::string list_processors();

// One folder each; registry.cpp calls them in this order.
void register_decoders(registry& r);
void register_analyzers(registry& r);
void register_graphers(registry& r);
void register_encoders(registry& r);
void register_effects(registry& r);

}  // namespace timeside
