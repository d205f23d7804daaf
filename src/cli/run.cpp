// `timeside run INPUT SPEC... [-o DIR] [--results json,csv,...] [--start S] [--duration S]
// [--samplerate N] [--channels N] [--blocksize N]`: one decode through every processor named.
// Encodings go to DIR/<stem>.<ext>, renders to DIR/<stem>.<grapher>.<ext> (png; dat or json for
// waveform data), analyzer results to DIR/<stem>.results.<ext> (src/results/formats.hpp); every
// file appears complete or not at all.
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/interrupt.hpp"
#include "cli/progress.hpp"
#include "core/encoder.hpp"
#include "core/errors.hpp"
#include "core/grapher.hpp"
#include "core/pipe.hpp"
#include "core/plugin_loader.hpp"
#include "core/presets.hpp"
#include "core/registry.hpp"
#include "core/spec.hpp"
#include "results/formats.hpp"
#include "results/hdf5_writer.hpp"

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

// The name outputs are derived from: the input's file name without its extension.
std::string stem_of(const std::string& input) {
    std::string name = input;
    if (auto q = name.find_first_of("?#"); q != std::string::npos && name.find("://") != std::string::npos)
        name.resize(q);
    while (!name.empty() && name.back() == '/') name.pop_back();
    std::string stem = fs::path(name).stem().string();
    return stem.empty() ? "stream" : stem;
}

// HDF5 names a group by result id, and result ids start with the analyzer's id: two analyzers
// with one id (say `level level:x`) cannot share a file. Said before the run, not after it.
void check_hdf5_ids(const std::vector<std::shared_ptr<processor>>& chain) {
    std::set<std::string> ids;
    for (const auto& p : chain)
        if (p->kind() == processor_kind::analyzer && !ids.insert(p->id()).second)
            throw usage_error(fmt::format("--results hdf5: {} is asked for twice; HDF5 groups are named by result "
                                          "id, so run it once per file or choose another format",
                                          p->id()));
}

// The HDF5 file receives every framewise row as it is computed. Rows stay in memory only when
// another requested format reads them, or when the analyzer is a parent another one reads.
void attach_hdf5(const pipe& p, const std::vector<std::shared_ptr<processor>>& chain,
                 const std::shared_ptr<hdf5_writer>& writer, bool others_need_rows) {
    for (const auto& proc : chain) {
        auto a = std::dynamic_pointer_cast<analyzer>(proc);
        if (!a) continue;
        bool is_parent = false;
        for (const auto& q : p.processors())
            if (auto c = std::dynamic_pointer_cast<consumer>(q))
                for (const auto& parent : c->parents()) is_parent = is_parent || parent == a;
        a->set_row_sink(writer, others_need_rows || is_parent);
    }
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
    interrupt_flag();  // the handlers, from the start: a signal while setting up is not fatal either
    const auto formats = parse_result_formats(a.results);
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
            fs::path out = dir / fmt::format("{}.{}.{}", stem, g->id(), g->extension());
            claim(taken, out, spec.text, a.input);
            renders.emplace_back(g, out);
        } else if (p->kind() == processor_kind::analyzer) {
            has_analyzer = true;
        }
        chain.push_back(std::move(p));
    }
    std::vector<std::pair<const result_format*, fs::path>> result_files;
    fs::path hdf5_path;
    bool others_need_rows = false;
    if (has_analyzer)
        for (const auto* f : formats) {
            fs::path out = dir / fmt::format("{}.results.{}", stem, f->extension);
            claim(taken, out, "--results " + std::string(f->name), a.input);
            if (f->name == "hdf5") {
                check_hdf5_ids(chain);
                hdf5_path = out;
            } else {
                result_files.emplace_back(f, out);
                others_need_rows = others_need_rows || f->needs_rows;
            }
        }

    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw processing_error(fmt::format("cannot create output directory {}: {}", dir.string(), ec.message()));

    pipe p(std::dynamic_pointer_cast<decoder>(source));
    for (auto& proc : chain) p.add(proc);
    // Created before the run so framewise rows stream into it; removed unless committed.
    std::shared_ptr<hdf5_writer> hdf5;
    if (!hdf5_path.empty()) {
        hdf5 = std::make_shared<hdf5_writer>(hdf5_path);
        attach_hdf5(p, chain, hdf5, others_need_rows);
    }
    std::unique_ptr<progress_bar> bar;
    run_options opts;
    opts.cancel = &interrupt_flag();
    // The pipe polls the flag between blocks; before the first block (opening, prerolling) and
    // while the source is hashed for the results, the watch hands the signal to the decoder.
    const auto decoder = std::dynamic_pointer_cast<timeside::decoder>(source);
    interrupt_watch watch([decoder] { decoder->cancel(); });
    // A signal after the decode (encoders have committed their files) removes what was written:
    // all or nothing. During the decode, the encoders abort and leave what was there before.
    auto interrupted = [&](int sig, bool committed) {
        bar.reset();
        if (hdf5) hdf5->abort();  // the analyzers still hold it: remove its file now
        std::error_code ignored;
        if (committed)
            for (const auto& w : written) fs::remove(w, ignored);
        fmt::print(stderr, "timeside: {}: interrupted by signal {}; no output written\n", a.input, sig);
        return 128 + sig;
    };
    opts.progress = [&](int64_t done, int64_t total) {
        if (!bar) bar = std::make_unique<progress_bar>(stem, p.input().format.samplerate);
        bar->update(done, total);
    };
    try {
        p.run(opts);
    } catch (const cancelled_error&) {
        if (int sig = interrupt_signal()) return interrupted(sig, false);
        bar.reset();
        if (hdf5) hdf5->abort();
        throw;
    } catch (...) {
        if (int sig = interrupt_signal()) return interrupted(sig, false);  // an error the stop caused
        if (hdf5) hdf5->abort();
        throw;
    }
    bar.reset();
    if (int sig = interrupt_signal()) return interrupted(sig, true);

    for (auto& [g, out] : renders) {
        g->render(out);
        written.push_back(out);
    }
    const auto results = p.results();  // waits for the source's sha1
    if (int sig = interrupt_signal()) return interrupted(sig, true);
    for (const auto& [f, out] : result_files) {
        write_results_file(*f, out, results);
        written.push_back(out);
    }
    if (hdf5) {
        hdf5->write(results);
        hdf5->commit();
        written.push_back(hdf5_path);
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
    cmd->add_option("--results", a->results,
                    "result formats, comma-separated: " + result_format_names() +
                        " (DIR/<stem>.results.<ext>: json, csv, jams, vtt, audacity.txt, h5)");
    cmd->add_option("--start", a->start, "segment start, seconds");
    cmd->add_option("--duration", a->duration, "segment duration, seconds");
    cmd->add_option("--samplerate", a->samplerate, "resample to this rate");
    cmd->add_option("--channels", a->channels, "remix to this many channels");
    cmd->add_option("--blocksize", a->blocksize, "frames per block");
    cmd->add_option("--presets", a->presets, "presets folder (default: $TIMESIDE_PRESETS, else presets/)");
    cmd->callback([a, &exit_code] {
        load_default_plugins({});
        exit_code = execute(*a);
    });
}

}  // namespace timeside::cli
