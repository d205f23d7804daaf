// The processor interface (TimeSide's IProcessor): what every plugin declares about itself, and
// the setup / process / finish lifecycle of the processors that consume a stream.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/block.hpp"
#include "core/format.hpp"
#include "core/parameters.hpp"

namespace timeside {

enum class processor_kind { decoder, analyzer, grapher, encoder, effect };
const char* to_string(processor_kind k);

struct processor_info {
    std::string id;  // ^[a-z][_a-z0-9]*$
    std::string name;
    std::string version;
    std::string description;
    std::string unit;
    processor_kind kind = processor_kind::analyzer;
    std::vector<parameter_spec> parameters;
};

class processor {
public:
    processor(const processor_info& info, parameter_set params);
    virtual ~processor() = default;
    processor(const processor&) = delete;
    processor& operator=(const processor&) = delete;

    const processor_info& info() const { return info_; }
    const std::string& id() const { return info_.id; }
    processor_kind kind() const { return info_.kind; }
    const parameter_set& parameters() const { return params_; }
    // Unique per instance, as TimeSide's proc_uuid.
    const std::string& uuid() const { return uuid_; }

private:
    const processor_info& info_;
    parameter_set params_;
    std::string uuid_;
};

// Analyzers, graphers and encoders: they receive every block of a stream, in order, on one thread.
class consumer : public processor {
public:
    using processor::processor;

    // Processors this one reads from while it runs (onset_detection_function reads the
    // spectrogram): the pipe inserts them before it, shares one between every processor that asks
    // for an equal one (same id and parameters), and runs them on the same lane, in order, so a
    // parent has processed a block before its child sees it. The pipe may replace an entry with
    // an equal processor it already has.
    std::vector<std::shared_ptr<consumer>>& parents() { return parents_; }
    // Called before decoding starts; errors here (an unwritable output...) stop the run early.
    virtual void setup(const stream_info& in) = 0;
    virtual void process(const block_ptr& b) = 0;
    // After the last block: results are final, outputs are complete under their final names.
    virtual void finish() = 0;
    // The run failed or was cancelled: release everything, leave no partial output behind.
    virtual void abort() noexcept {}

protected:
    std::vector<std::shared_ptr<consumer>> parents_;
};

// Effects transform the stream for the processors after them in the pipe (TimeSide's fx_*).
class effect : public processor {
public:
    using processor::processor;
    virtual stream_info setup(const stream_info& in) = 0;
    virtual block_ptr transform(const block_ptr& in) = 0;
};

}  // namespace timeside
