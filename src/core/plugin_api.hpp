// The plugin interface: a shared library built outside TimeSide exports one C function,
// `timeside_plugin_entry` (write it with TIMESIDE_PLUGIN), returning a descriptor whose interface
// version and build fingerprint the loader (plugin_loader.hpp) checks before any C++ crosses over.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "core/analyzer.hpp"
#include "core/processor.hpp"

// Raised whenever the declarations a plugin compiles against change incompatibly.
#define TIMESIDE_PLUGIN_API_VERSION 1

#define TIMESIDE_PLUGIN_STR2(x) #x
#define TIMESIDE_PLUGIN_STR(x) TIMESIDE_PLUGIN_STR2(x)

// C++ crosses the library boundary (std::string, std::function, vtables), which is only safe with
// one standard library ABI on both sides: its family, major release, and the modes that change
// its layouts. The compiler family does not matter beyond that (clang and gcc share libstdc++).
#if defined(_LIBCPP_VERSION)
#define TIMESIDE_PLUGIN_STDLIB_NAME "libc++ " TIMESIDE_PLUGIN_STR(_LIBCPP_VERSION)
#elif defined(__GLIBCXX__)
#define TIMESIDE_PLUGIN_STDLIB_NAME \
    "libstdc++ " TIMESIDE_PLUGIN_STR(_GLIBCXX_RELEASE) " cxx11abi=" TIMESIDE_PLUGIN_STR(_GLIBCXX_USE_CXX11_ABI)
#else
#define TIMESIDE_PLUGIN_STDLIB_NAME "unknown standard library"
#endif
#if defined(_GLIBCXX_DEBUG)
#define TIMESIDE_PLUGIN_STDLIB TIMESIDE_PLUGIN_STDLIB_NAME " debug"
#else
#define TIMESIDE_PLUGIN_STDLIB TIMESIDE_PLUGIN_STDLIB_NAME
#endif

namespace timeside {

// Builds a processor from validated parameters (the same alias as registry.hpp's).
using processor_factory = std::function<std::shared_ptr<processor>(parameter_set)>;

// What a plugin's register function adds its processors to. The loader adds them to the
// registry all together once the function has returned, or none of them if it throws.
class plugin_registrar {
public:
    virtual void add(const processor_info& info, processor_factory make) = 0;

    // T has `static const processor_info& describe()` and a constructor taking a parameter_set,
    // as every built-in processor.
    template <class T>
    void add() {
        add(T::describe(), [](parameter_set p) { return std::make_shared<T>(std::move(p)); });
    }

protected:
    ~plugin_registrar() = default;
};

// The sizes of the types both sides share, in a fixed order: a header change the API version
// forgot, or a flag that changes a layout, makes them differ and the loader refuses the plugin.
inline constexpr uint32_t plugin_layout_count = 8;
#define TIMESIDE_PLUGIN_LAYOUT                                                                   \
    {                                                                                            \
        sizeof(void*), sizeof(std::string), sizeof(std::function<void()>),                      \
            sizeof(::timeside::processor_info), sizeof(::timeside::parameter_spec),              \
            sizeof(::timeside::parameter_set), sizeof(::timeside::analyzer_result),              \
            sizeof(::timeside::analyzer)                                                         \
    }
inline constexpr const char* plugin_layout_names[plugin_layout_count] = {
    "void*", "std::string", "std::function", "processor_info", "parameter_spec", "parameter_set",
    "analyzer_result", "analyzer"};

}  // namespace timeside

extern "C" {
// Plain data, read by the loader before it calls anything: api_version comes first and keeps its
// place in every version, so any plugin's version can be read and named.
struct timeside_plugin_descriptor {
    uint32_t api_version;                   // TIMESIDE_PLUGIN_API_VERSION
    const char* stdlib;                     // TIMESIDE_PLUGIN_STDLIB
    uint32_t layout[8];                     // TIMESIDE_PLUGIN_LAYOUT
    const char* name;                       // for messages: the plugin's name
    void (*register_processors)(timeside::plugin_registrar& r);
};
}

// The entry point, once per plugin library:
//   void register_mine(timeside::plugin_registrar& r) { r.add<my_analyzer>(); }
//   TIMESIDE_PLUGIN("my plugins", register_mine)
#define TIMESIDE_PLUGIN(plugin_name, register_fn)                                                       \
    extern "C" __attribute__((visibility("default"))) const timeside_plugin_descriptor*               \
    timeside_plugin_entry() {                                                                        \
        static const timeside_plugin_descriptor descriptor = {TIMESIDE_PLUGIN_API_VERSION,            \
                                                              TIMESIDE_PLUGIN_STDLIB,                 \
                                                              TIMESIDE_PLUGIN_LAYOUT, plugin_name,    \
                                                              register_fn};                           \
        return &descriptor;                                                                          \
    }
