// Encoders: consumers that write a codec's bytes to a byte sink. The sink is opened at setup (an
// unwritable output fails before decoding starts) and committed only when the encode is complete.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "core/byte_sink.hpp"
#include "core/processor.hpp"

namespace timeside {

class encoder : public consumer {
public:
    using consumer::consumer;

    virtual std::string extension() const = 0;  // "ogg"
    virtual std::string mime_type() const = 0;  // "audio/ogg"

    void set_sink(std::shared_ptr<byte_sink> sink) { sink_ = std::move(sink); }
    void write_to(const std::filesystem::path& path) { sink_ = std::make_shared<file_sink>(path); }
    const std::shared_ptr<byte_sink>& sink_ptr() const { return sink_; }

    void setup(const stream_info& in) final;
    void process(const block_ptr& b) final { on_process(b); }
    void finish() final;
    void abort() noexcept final;

protected:
    virtual void on_setup(const stream_info& in) = 0;
    virtual void on_process(const block_ptr& b) = 0;
    virtual void on_finish() = 0;  // flush the codec; the base commits the sink after
    virtual void on_abort() noexcept {}
    byte_sink& sink() { return *sink_; }

private:
    std::shared_ptr<byte_sink> sink_;
};

}  // namespace timeside
