// Sink lifecycle shared by every encoder.
#include "core/encoder.hpp"

#include <fmt/format.h>

#include "core/errors.hpp"

namespace timeside {

void encoder::setup(const stream_info& in) {
    if (!sink_) throw usage_error(fmt::format("{}: no output given", id()));
    sink_->open();
    on_setup(in);
}

void encoder::finish() {
    on_finish();
    sink_->commit();
}

void encoder::abort() noexcept {
    on_abort();
    if (sink_) sink_->abort();
}

}  // namespace timeside
