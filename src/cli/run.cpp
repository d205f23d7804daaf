// `timeside run INPUT SPEC... [-o DIR] [--results json] [--start S] [--duration S]
// [--samplerate N] [--channels N] [--blocksize N]`: one decode through every processor named.
// Encodings go to DIR/<stem>.<ext>, renders to DIR/<stem>.<grapher>.png, analyzer results to
// DIR/<stem>.results.<format>; every file appears complete or not at all.
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/interrupt.hpp"
#include "cli/progress.hpp"
#include "core/atomic_file.hpp"
#include "core/encoder.hpp"
#include "core/errors.hpp"
#include "core/grapher.hpp"
#include "core/pipe.hpp"
#include "core/presets.hpp"
#include "core/registry.hpp"
#include "core/spec.hpp"
#include "core/text.hpp"
#include "results/json_writer.hpp"

namespace fs = std::filesystem;

namespace timeside::cli {

namespace {

struct run_args {
    std::string input;
    std::vector<std::string> specs;
    std::string output_dir = ".";
    std::string results = "json";
    std::string presets;
    double start = 0, duration = 0;
    int samplerate = 0, channels = 0, blocksize = 8192;
};

const std::set<std::string> result_formats = {"json"};

// The name outputs are derived from: the input's file name without its extension.
std::string stem_of(const std::string& input) {
    std::string name = input;
    if (auto q = name.find_first_of("?#"); q != std::string::npos && name.find("://") != std::string::npos)
        name.resize(q);
    while (!name.empty() && name.back() == '/') name.pop_back();
    std::string stem = fs::path(name).stem().string();
    return stem.empty() ? "stream" : stem;
}

std::vector<std::string> split_formats(const std::string& text) {
    std::vector<std::string> out;
    for (auto f : split(text, ',')) {
        if (f.empty()) continue;
        if (!result_formats.count(std::string(f)))
            throw usage_error(fmt::format("--results: unknown format '{}'; valid formats: json", f));
        out.emplace_back(f);
    }
    return out;
}

// Refuses two outputs with one name, and an output that would replace the input.
void claim(std::map<fs::path, std::string>& taken, const fs::path& path, const std::string& owner,
           const std::string& input) {
    std::error_code ec;
    if (fs::exists(input, ec) && fs::exists(path, ec) && fs::equivalent(input, path, ec))
        throw usage_error(fmt::format("{}: its output {} would replace the input; choose another -o", owner,
                                      path.string()));
    auto [it, fresh] = taken.emplace(path, owner);
    if (!fresh)
        throw usage_error(fmt::format("{} and {} would both write {}", it->second, owner, path.string()));
}

int execute(const run_args& a) {
    const auto formats = split_formats(a.results);
    auto source = get_processor("file_decoder", {{"uri", a.input},
                                                 {"start", a.start},
                                                 {"duration", a.duration},
                                                 {"samplerate", int64_t{a.samplerate}},
                                                 {"channels", int64_t{a.channels}},
                                                 {"blocksize", int64_t{a.blocksize}}});
    const fs::path dir(a.output_dir);
    const std::string stem = stem_of(a.input);
    std::map<fs::path, std::string> taken;
    std::vector<std::pair<std::shared_ptr<grapher>, fs::path>> renders;
    std::vector<fs::path> written;
    bool has_analyzer = false;

    std::optional<preset_library> presets;  // read only when a SPEC is not a processor id
    std::vector<std::shared_ptr<processor>> chain;
    for (const auto& text : a.specs) {
        processor_spec spec = parse_spec(text);
        if (!default_registry().find(spec.id)) {
            if (!presets) presets = preset_library::load(default_presets_dir(a.presets));
            spec = presets->resolve(spec);
        }
        auto p = get_processor(spec.id, spec.parameters);
        if (p->kind() == processor_kind::decoder)
            throw usage_error(fmt::format("{} is a decoder; the input is decoded by file_decoder", spec.id));
        if (auto e = std::dynamic_pointer_cast<encoder>(p)) {
            fs::path out = dir / fmt::format("{}.{}", stem, e->extension());
            claim(taken, out, spec.text, a.input);
            e->write_to(out);
            written.push_back(out);
        } else if (auto g = std::dynamic_pointer_cast<grapher>(p)) {
            fs::path out = dir / fmt::format("{}.{}.png", stem, g->id());
            claim(taken, out, spec.text, a.input);
            renders.emplace_back(g, out);
        } else if (p->kind() == processor_kind::analyzer) {
            has_analyzer = true;
        }
        chain.push_back(std::move(p));
    }
    std::vector<fs::path> result_files;
    if (has_analyzer)
        for (const auto& f : formats) {
            fs::path out = dir / fmt::format("{}.results.{}", stem, f);
            claim(taken, out, "--results " + f, a.input);
            result_files.push_back(out);
        }

    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw processing_error(fmt::format("cannot create output directory {}: {}", dir.string(), ec.message()));

    pipe p(std::dynamic_pointer_cast<decoder>(source));
    for (auto& proc : chain) p.add(proc);
    run_options opts;
    opts.cancel = &interrupt_flag();
    std::unique_ptr<progress_bar> bar;
    opts.progress = [&](int64_t done, int64_t total) {
        if (!bar) bar = std::make_unique<progress_bar>(stem, p.input().format.samplerate);
        bar->update(done, total);
    };
    try {
        p.run(opts);
    } catch (const cancelled_error&) {
        bar.reset();
        if (int sig = interrupt_signal()) {
            fmt::print(stderr, "timeside: {}: interrupted by signal {}; no output written\n", a.input, sig);
            return 128 + sig;
        }
        throw;
    }
    bar.reset();

    for (auto& [g, out] : renders) {
        g->render(out);
        written.push_back(out);
    }
    auto results = p.results();
    for (const auto& out : result_files) {
        write_file_atomically(out, results_to_json(results, 2) + "\n");
        written.push_back(out);
    }
    for (const auto& w : written) fmt::print("{}\n", w.string());
    return 0;
}

}  // namespace

void add_run(CLI::App& app, int& exit_code) {
    auto a = std::make_shared<run_args>();
    auto* cmd = app.add_subcommand("run", "Decode INPUT once through every processor SPEC");
    cmd->add_option("INPUT", a->input, "a path, file:// or http(s):// URI")->required();
    cmd->add_option("SPEC", a->specs,
                    "processor id or preset, with optional parameters (vorbis_encoder:quality=0.6, opus-64k)")
        ->required();
    cmd->add_option("-o,--output", a->output_dir, "output directory (created if missing)");
    cmd->add_option("--results", a->results, "result formats, comma-separated: json");
    cmd->add_option("--start", a->start, "segment start, seconds");
    cmd->add_option("--duration", a->duration, "segment duration, seconds");
    cmd->add_option("--samplerate", a->samplerate, "resample to this rate");
    cmd->add_option("--channels", a->channels, "remix to this many channels");
    cmd->add_option("--blocksize", a->blocksize, "frames per block");
    cmd->add_option("--presets", a->presets, "presets folder (default: $TIMESIDE_PRESETS, else presets/)");
    cmd->callback([a, &exit_code] { exit_code = execute(*a); });
}

}  // namespace timeside::cli
