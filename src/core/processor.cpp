// Processor identity: kinds as text and per-instance uuids.
#include "core/processor.hpp"

#include <random>

#include <fmt/format.h>

namespace timeside {

const char* to_string(processor_kind k) {
    switch (k) {
        case processor_kind::decoder: return "decoder";
        case processor_kind::analyzer: return "analyzer";
        case processor_kind::grapher: return "grapher";
        case processor_kind::encoder: return "encoder";
        case processor_kind::effect: return "effect";
    }
    return "?";
}

namespace {
// RFC 4122 version 4 from a per-thread generator.
std::string make_uuid() {
    thread_local std::mt19937_64 gen{std::random_device{}()};
    uint64_t hi = gen(), lo = gen();
    hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
    lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
    return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xffff,
                       hi & 0xffff, lo >> 48, lo & 0xffffffffffffULL);
}
}  // namespace

processor::processor(const processor_info& info, parameter_set params)
    : info_(info), params_(std::move(params)), uuid_(make_uuid()) {}

}  // namespace timeside
