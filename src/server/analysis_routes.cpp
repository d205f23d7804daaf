// Every processor is built (its parameters validated: 400 naming the bad one) on the network
// thread; the decode, the run and the serialization happen in a job. Results name the item by
// its path under its media folder, never by the server's absolute path.
#include "server/analysis_routes.hpp"

#include <unistd.h>

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "core/analyzer.hpp"
#include "core/errors.hpp"
#include "core/grapher.hpp"
#include "core/pipe.hpp"
#include "core/row_sink.hpp"
#include "core/registry.hpp"
#include "core/spec.hpp"
#include "results/formats.hpp"
#include "server/log.hpp"
#include "server/media/source_pass.hpp"
#include "server/media_routes.hpp"
#include "server/output_reply.hpp"

namespace timeside::server {

using http::status;
namespace fs = std::filesystem;

namespace {

constexpr size_t max_processors = 16;

// Counts the framewise values every analyzer of a results job keeps (they are all in memory
// until the results are written): past the limit the run stops with a request_error, before a
// long spectrogram asked for as JSON takes the server's memory.
class value_budget : public row_sink {
public:
    explicit value_budget(uint64_t max) : max_(max) {}
    void begin(const analyzer_result&) override {}
    void append(const std::string& result_id, std::span<const double> row) override {
        if (used_.fetch_add(row.size()) + row.size() > max_)
            throw media::request_error(fmt::format(
                "processors: the results would hold more than {} values (max_result_values; {} was "
                "computing when it passed): ask for a segment (start=, duration=), fewer or coarser "
                "analyzers, or a render (/graphs/spectrogram_log.png) instead",
                max_, result_id));
    }

private:
    const uint64_t max_;
    std::atomic<uint64_t> used_{0};
};

void write_text(byte_sink& out, const std::string& text) {
    out.write(std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(text.data()), text.size()), false);
}

std::string text_of(const param_value& v) {
    if (const auto* s = std::get_if<std::string>(&v)) return *s;
    return {};
}

std::string analyzer_ids() {
    std::vector<std::string> ids;
    for (const auto& info : default_registry().list())
        if (info->kind == processor_kind::analyzer) ids.push_back(info->id);
    return fmt::format("{}", fmt::join(ids, ", "));
}

std::string png_grapher_ids() {
    std::vector<std::string> ids;
    for (const auto& info : default_registry().list())
        if (info->kind == processor_kind::grapher && info->id != "waveform_data") ids.push_back(info->id);
    return fmt::format("{}", fmt::join(ids, ", "));
}

media::job_spec job(const media::item_source& src, const std::string& key, const std::string& ext, const std::string& label,
                    std::function<void(byte_sink&, const std::atomic<bool>&)> produce) {
    media::job_spec spec;
    spec.key = key;
    spec.ext = ext;
    spec.label = label;
    spec.produce = std::move(produce);
    spec.source_path = src.file.string();
    spec.source_name = src.relative;
    spec.on_end = [label](const std::string& outcome, double wall) {
        log(outcome == "failed" ? log_level::warn : log_level::info, "analysis",
            {{"output", label}, {"outcome", outcome}, {"seconds", fmt::format("{:.3f}", wall)}});
    };
    return spec;
}

http::reply serve(const http::request_context& ctx, analysis_state& state, std::string_view kind, std::string key,
                  std::string ext, std::string mime, media::job_spec spec) {
    const output_target target{kind, std::move(key), std::move(ext), std::move(mime)};
    return cached_or_produced(
        ctx, state.cache, state.counters, target, [&] { return state.jobs.start_or_join(std::move(spec)).stream; },
        state.jobs.max_jobs());
}

}  // namespace

results_plan plan_results(const analysis_state& state, const media::media_item& item, const std::string& list,
                          const std::string& format_name, double start, double duration) {
    results_plan plan;
    plan.src = media::item_source{item.path, item.relative, item.sha1, start, duration, item.size, item.mtime_ns};
    if (list.empty())
        throw usage_error(fmt::format("processors: required, a comma-separated list of analyzers "
                                      "(processors=level,aubio_pitch:blocksize=2048); analyzers: {}", analyzer_ids()));
    if (item.duration > 0 && start >= item.duration)
        throw usage_error(fmt::format("start: {} s is past the item's end ({} s)", start, item.duration));
    plan.format = find_result_format(format_name);
    if (!plan.format) throw usage_error(fmt::format("format: no format '{}'; formats: {}", format_name, result_format_names()));
    const auto specs = parse_spec_list(list);
    if (specs.size() > max_processors)
        throw usage_error(fmt::format("processors: at most {} per request, got {}", max_processors, specs.size()));
    std::set<std::string> ids;
    std::string parts;
    for (auto spec : specs) {
        if (!default_registry().find(spec.id)) spec = state.presets.resolve(spec);
        auto p = get_processor(spec.id, spec.parameters);
        if (p->kind() != processor_kind::analyzer)
            throw usage_error(fmt::format("processors: '{}' is {} {}, not an analyzer; analyzers: {}", spec.text,
                                          p->kind() == processor_kind::encoder ? "an" : "a", to_string(p->kind()),
                                          analyzer_ids()));
        if (plan.format->name == "hdf5" && !ids.insert(p->id()).second)
            throw usage_error(fmt::format("processors: {} is asked for twice; HDF5 groups are named by result id", p->id()));
        parts += media::key_part(*p) + ";";
        plan.chain.push_back(std::move(p));
    }
    plan.key = media::cache_key({"results", plan.src.sha1, plan.format->name, fmt::format("{}", start),
                                 fmt::format("{}", duration), parts});
    plan.label = fmt::format("{}.results.{}", item.id, plan.format->extension);
    return plan;
}

media::job_spec results_job(const results_plan& plan, uint64_t max_values, results_hooks hooks) {
    auto produce = [src = plan.src, chain = plan.chain, format = plan.format, label = plan.label, max = max_values,
                    hooks](byte_sink& out, const std::atomic<bool>& cancel) {
        auto p = media::source_pipe(src, chain);
        // Parents the pipe added (a spectrogram under onset_detection_function) count as well.
        auto budget = std::make_shared<value_budget>(max);
        for (const auto& proc : p->processors())
            if (auto a = std::dynamic_pointer_cast<analyzer>(proc)) a->set_row_sink(budget, true);
        if (hooks.on_pipe) hooks.on_pipe(*p);
        media::run_source_pass(src, *p, cancel, hooks.pass);
        auto all = p->results();
        for (auto& r : all) r.audio.uri = src.relative;
        if (format->name != "hdf5") {
            std::ostringstream text;
            write_results(*format, text, all);
            return write_text(out, text.str());
        }
        // HDF5 is written through its library to a file: made in the temporary folder, copied out.
        static std::atomic<uint64_t> counter{0};
        const fs::path temp = fs::temp_directory_path() / fmt::format("timeside-{}-{}.h5", ::getpid(), counter++);
        try {
            write_results_file(*format, temp, all);
        } catch (const std::exception& e) {
            std::error_code ec;
            fs::remove(temp, ec);
            throw media::job_error(fmt::format("{}: cannot write the HDF5 results", label), e.what());
        }
        std::ifstream in(temp, std::ios::binary);
        std::vector<unsigned char> buf(1 << 16);
        while (in.read(reinterpret_cast<char*>(buf.data()), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0)
            out.write(std::span<const unsigned char>(buf.data(), static_cast<size_t>(in.gcount())), false);
        std::error_code ec;
        fs::remove(temp, ec);
    };
    auto spec = job(plan.src, plan.key, std::string(plan.format->extension), plan.label, std::move(produce));
    spec.on_outcome = std::move(hooks.on_outcome);
    return spec;
}

namespace {

http::reply results(const http::request_context& ctx, analysis_state& state) {
    auto snap = state.library.snapshot();
    const auto& item = servable_item(*snap, ctx.param("id"));
    std::string list, format_name = "json";
    double start = 0, duration = 0;
    for (const auto& [name, value] : ctx.query_params()) {
        if (name == "processors") list = text_of(value);
        else if (name == "format") format_name = text_of(value);
        else if (name == "start") start = http::query_seconds(value, "start");
        else if (name == "duration") duration = http::query_seconds(value, "duration");
        else throw usage_error(fmt::format("{}: unknown parameter; /results takes processors, format, start, duration", name));
    }
    const auto plan = plan_results(state, item, list, format_name, start, duration);
    return serve(ctx, state, "results", plan.key, std::string(plan.format->extension), std::string(plan.format->mime),
                 results_job(plan, state.max_result_values));
}

// Waveform data is held whole until written: its points are counted before anything runs, from
// the item's length and the scale asked for (pixels_per_second=44100 over an hour is 160 M points).
void check_waveform_size(const processor& g, const media::media_item& item, uint64_t max_values) {
    if (item.duration <= 0 || item.samplerate <= 0) return;  // unknown length: the grapher's own limits
    const auto& p = g.parameters();
    const double per_pixel = p.given("pixels_per_second")
                                 ? std::floor(double(item.samplerate) / double(p.integer("pixels_per_second")))
                                 : double(p.integer("zoom"));
    const double start = p.number("start");
    const double end = p.given("end") ? std::min(p.number("end"), item.duration) : item.duration;
    const double lanes = p.boolean("split_channels") ? item.channels : 1;
    const double values = std::ceil(std::max(0.0, end - start) * item.samplerate / std::max(1.0, per_pixel)) * 2 * lanes;
    if (values > double(max_values))
        throw usage_error(fmt::format("{}: {:.0f} min/max values over {:.1f} s would exceed max_result_values ({}); "
                                      "ask for fewer pixels per second, a larger zoom, or start/end",
                                      p.given("pixels_per_second") ? "pixels_per_second" : "zoom", values,
                                      end - start, max_values));
}

// A render or waveform data: one grapher over the whole item.
http::reply render(const http::request_context& ctx, analysis_state& state, std::string_view kind,
                   const std::string& grapher_id, raw_parameters params, const std::string& label_suffix) {
    auto snap = state.library.snapshot();
    const auto& item = servable_item(*snap, ctx.param("id"));
    auto g = get_processor_as<grapher>(grapher_id, params);
    if (grapher_id == "waveform_data") check_waveform_size(*g, item, state.max_result_values);
    const std::string key = media::cache_key({kind, item.sha1, media::key_part(*g)});
    media::item_source src{item.path, item.relative, item.sha1, 0, 0, item.size, item.mtime_ns};
    const std::string label = fmt::format("{}.{}", item.id, label_suffix);
    auto produce = [src, g](byte_sink& out, const std::atomic<bool>& cancel) {
        auto p = media::source_pipe(src, {g});
        media::run_source_pass(src, *p, cancel);
        const auto bytes = g->render_bytes();
        out.write(bytes, false);
    };
    return serve(ctx, state, kind, key, g->extension(), g->media_type(), job(src, key, g->extension(), label, std::move(produce)));
}

}  // namespace

void add_analysis_routes(http::router& routes, analysis_state& state) {
    using http::verb;
    routes.add({verb::get}, "/api/items/{id+}/results",
               [&state](const http::request_context& ctx) { return results(ctx, state); });
    routes.add({verb::get}, "/api/items/{id+}/graphs/{grapher}.png", [&state](const http::request_context& ctx) {
        const std::string& id = ctx.param("grapher");
        const auto* info = default_registry().find(id);
        if (!info || info->kind != processor_kind::grapher || id == "waveform_data")
            throw http::http_error(status::not_found,
                                   fmt::format("no grapher '{}' drawing a PNG; graphers: {} (waveform data: "
                                               "/api/items/{{id}}/waveform.dat or .json)",
                                               id, png_grapher_ids()));
        return render(ctx, state, "graph", id, ctx.query_params(), id + ".png");
    });
    routes.add({verb::get}, "/api/items/{id+}/waveform.{ext}", [&state](const http::request_context& ctx) {
        const std::string& ext = ctx.param("ext");
        if (ext != "dat" && ext != "json")
            throw http::http_error(status::not_found, fmt::format("no waveform format '.{}'; formats: dat, json", ext));
        raw_parameters params = ctx.query_params();
        for (const auto& [name, value] : params)
            if (name == "format")
                throw usage_error("format: given by the extension (waveform.dat or waveform.json), not the query");
        params.emplace_back("format", ext);
        return render(ctx, state, "waveform", "waveform_data", std::move(params), "waveform." + ext);
    });
}

}  // namespace timeside::server
