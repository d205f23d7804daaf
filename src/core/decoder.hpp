// Decoders produce the stream a pipe feeds to its consumers (TimeSide's file_decoder, ...).
#pragma once

#include "core/block.hpp"
#include "core/format.hpp"
#include "core/processor.hpp"

namespace timeside {

class decoder : public processor {
public:
    using processor::processor;
    // Opens the input and says what it will deliver; throws processing_error naming the input.
    virtual stream_info open() = 0;
    // The next block, or nullptr at the end of the stream; throws processing_error.
    virtual block_ptr read() = 0;
    // May be called from any thread: a blocked read() returns soon after.
    virtual void cancel() noexcept {}
    virtual void close() noexcept {}
};

}  // namespace timeside
