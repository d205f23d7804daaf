// A minimal analyzer for the plugin loader's fixture libraries: FIXTURE_ID names it; it counts
// the frames it is given, as one global value.
#pragma once

#include "core/analyzer.hpp"
#include "core/plugin_api.hpp"

namespace fixture {

template <const char* Id>
class counter : public timeside::analyzer {
public:
    static const timeside::processor_info& describe() {
        static const timeside::processor_info info{
            Id, "Fixture counter", "1.0", "frames seen (a plugin loader fixture)", "frames",
            timeside::processor_kind::analyzer,
            {timeside::integer_param("scale", "multiplies the count", 1, 1, 10)}};
        return info;
    }
    explicit counter(timeside::parameter_set p) : analyzer(describe(), std::move(p)) {}

protected:
    void on_setup(const timeside::stream_info&) override {
        frames_ = 0;
        result_ = &new_result(timeside::data_mode::value, timeside::time_mode::global);
    }
    void on_process(const timeside::block_ptr& b) override { frames_ += b->frames(); }
    void on_finish() override {
        result_->data.value = {static_cast<double>(frames_ * parameters().integer("scale"))};
    }

private:
    int64_t frames_ = 0;
    timeside::analyzer_result* result_ = nullptr;
};

}  // namespace fixture
