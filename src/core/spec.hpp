// Processor specs as users write them: `level`, `vorbis_encoder:quality=0.6`,
// `waveform_simple:width=2048,height=128`, and lists of them joined by commas (a comma followed by
// `name=value` continues the previous spec's parameters; anything else starts a new spec).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/parameters.hpp"

namespace timeside {

struct processor_spec {
    std::string id;  // a processor id or a preset name
    raw_parameters parameters;
    std::string text;  // as written, for messages
};

// Throws usage_error on a malformed spec (empty id, `name=` without a value...).
processor_spec parse_spec(std::string_view text);
std::vector<processor_spec> parse_spec_list(std::string_view text);

}  // namespace timeside
