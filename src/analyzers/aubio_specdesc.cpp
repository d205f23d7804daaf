// aubio_specdesc: values are aubio's own, as TimeSide reports them: centroid and rolloff are in
// FFT bins, spread in bins squared (multiply by samplerate / buffer_size for Hz).
#include "analyzers/aubio_specdesc.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "core/errors.hpp"

namespace timeside {

namespace {
// TimeSide's list, "default" (aubio's name for hfc) included so its result ids exist here too.
const std::vector<std::string> timeside_methods{
    "default",  "energy",   "hfc",   "complex", "phase",  "specdiff", "kl",       "mkl",
    "specflux", "centroid", "slope", "rolloff", "spread", "skewness", "kurtosis", "decrease"};

std::string unit_of(const std::string& method) {
    if (method == "centroid" || method == "rolloff") return "bin";
    if (method == "spread") return "bin^2";
    return "";
}
}  // namespace

const std::vector<std::string>& aubio_specdesc::known_methods() {
    static const std::vector<std::string> all = [] {
        auto v = timeside_methods;
        v.push_back("wphase");
        return v;
    }();
    return all;
}

const processor_info& aubio_specdesc::describe() {
    static const processor_info info{
        "aubio_specdesc",
        "Spectral Descriptor (aubio)",
        "0.4.9",
        "aubio's spectral descriptors per hop, one result per method",
        "",
        processor_kind::analyzer,
        {aubio::buffer_size_param("buffer_size", "FFT window", 1024),
         aubio::hop_size_param("hop_size", "Frames between two rows (at most buffer_size)", 256),
         string_param(
             "methods",
             fmt::format("Descriptors to compute, separated by ';' or '+'; 'all' stands for {}; also: wphase",
                         fmt::join(timeside_methods, ", ")),
             "all")}};
    return info;
}

aubio_specdesc::aubio_specdesc(parameter_set params)
    : analyzer(describe(), std::move(params)),
      buffer_size_(static_cast<int>(parameters().integer("buffer_size"))),
      hop_size_(static_cast<int>(parameters().integer("hop_size"))) {
    aubio::quiet_repeated_warnings();
    aubio::check_hop(id(), parameters(), "hop_size", "buffer_size");
    const auto& text = parameters().string("methods");
    // ',' already separates parameters on the command line, hence ';' and '+'.
    std::string item;
    auto add = [&] {
        if (item.empty()) return;
        if (item == "all") {
            for (const auto& m : timeside_methods)
                if (std::find(methods_.begin(), methods_.end(), m) == methods_.end()) methods_.push_back(m);
            item.clear();
            return;
        }
        const auto& known = known_methods();
        if (std::find(known.begin(), known.end(), item) == known.end())
            throw usage_error(
                fmt::format("{}: invalid value methods={}: unknown method '{}'; expected 'all' or "
                            "methods among: {}",
                            id(), text, item, fmt::join(known, ", ")));
        if (std::find(methods_.begin(), methods_.end(), item) == methods_.end()) methods_.push_back(item);
        item.clear();
    };
    for (char c : text) {
        if (c == ';' || c == '+' || c == ' ')
            add();
        else
            item += c;
    }
    add();
    if (methods_.empty()) methods_ = timeside_methods;
}

void aubio_specdesc::on_setup(const stream_info& in) {
    const auto buf = static_cast<uint_t>(buffer_size_);
    pvoc_ = aubio::make<aubio::pvoc_ptr>(
        [&] { return aubio::lib().new_aubio_pvoc(buf, static_cast<uint_t>(hop_size_)); }, "a phase vocoder");
    spectrum_ = aubio::make<aubio::cvec_ptr>([&] { return aubio::lib().new_cvec(buf); }, "a spectrum");
    value_ = aubio::make<aubio::fvec_ptr>([&] { return aubio::lib().new_fvec(1); }, "a buffer");
    descriptors_.clear();
    for (const auto& m : methods_) {
        descriptor d;
        d.desc =
            aubio::make<aubio::specdesc_ptr>([&] { return aubio::lib().new_aubio_specdesc(m.c_str(), buf); },
                                             fmt::format("the '{}' spectral descriptor", m));
        d.result = &new_framewise_result(m, m, 0, buffer_size_, hop_size_);
        d.result->id.unit = unit_of(m);
        descriptors_.push_back(std::move(d));
    }
    feed_.emplace(in.format.channels, hop_size_);
}

void aubio_specdesc::on_hop(const fvec_t& hop) {
    aubio::lib().aubio_pvoc_do(pvoc_.get(), &hop, spectrum_.get());
    for (auto& d : descriptors_) {
        aubio::lib().aubio_specdesc_do(d.desc.get(), spectrum_.get(), value_.get());
        const double v[] = {aubio::finite(value_->data[0])};
        append_row(*d.result, v);
    }
}

void aubio_specdesc::on_process(const block_ptr& b) {
    feed_->push(*b, [this](const fvec_t& hop, int64_t) { on_hop(hop); });
}

void aubio_specdesc::on_finish() {
    feed_->flush([this](const fvec_t& hop, int64_t) { on_hop(hop); });
}

}  // namespace timeside
