// Buffer and hop parameters of the aubio_* analyzers, checked before aubio sees them (aubio only
// prints its refusals and hands back NULL), and the filter on aubio's repeated warnings.
#include "analyzers/aubio_common.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <mutex>
#include <set>
#include <string>

#include "core/errors.hpp"

namespace timeside::aubio {

parameter_spec buffer_size_param(std::string name, std::string description, int64_t def) {
    std::vector<int64_t> sizes;
    for (int64_t n = 64; n <= 32768; n *= 2) sizes.push_back(n);
    return integer_choice_param(std::move(name), std::move(description), def, std::move(sizes), "frames");
}

parameter_spec hop_size_param(std::string name, std::string description, int64_t def) {
    return integer_param(std::move(name), std::move(description), def, 1, 32768, "frames");
}

void quiet_repeated_warnings() {
    static std::once_flag once;
    std::call_once(once, [] {
        aubio::lib().aubio_log_set_level_function(
            AUBIO_LOG_WRN,
            [](sint_t, const char_t* message, void*) {
                static std::mutex m;
                static std::set<std::string> seen;
                std::lock_guard lock(m);
                if (seen.insert(message).second) std::fputs(message, stderr);
            },
            nullptr);
    });
}

void check_hop(std::string_view owner, const parameter_set& p, const std::string& hop_name,
               const std::string& buffer_name) {
    const int64_t hop = p.integer(hop_name), buffer = p.integer(buffer_name);
    if (hop > buffer)
        throw usage_error(
            fmt::format("{}: invalid value {}={}: expected an integer from 1 to {} ({} = {}; "
                        "aubio's hop cannot exceed its buffer)",
                        owner, hop_name, hop, buffer, buffer_name, buffer));
}

}  // namespace timeside::aubio
