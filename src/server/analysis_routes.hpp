// What the server computes from an item besides encodings, each in one decode pass on first
// request and cached like media: analysis results (GET /api/items/{id}/results?processors=
// &format=), renders (GET /api/items/{id}/graphs/{grapher}.png?width=&height=...) and waveform
// data in audiowaveform's format (GET /api/items/{id}/waveform.{dat,json}?pixels_per_second=...).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/presets.hpp"
#include "results/formats.hpp"
#include "server/http/router.hpp"
#include "server/media/disk_cache.hpp"
#include "server/media/job_runner.hpp"
#include "server/media/library.hpp"
#include "server/media/source_pass.hpp"

namespace timeside::server {

class metrics;

struct analysis_state {
    const media::library& library;
    const preset_library& presets;
    media::job_runner& jobs;
    media::disk_cache& cache;
    metrics* counters = nullptr;
    uint64_t max_result_values = 4 << 20;  // framewise values a results request may keep
};

// A results request made ready to run (the results route's, and an item's event feed's): the
// item's source and segment, its processors built and validated (usage_error naming the bad
// part: 400), the format, and the cache key and label of the output.
struct results_plan {
    media::item_source src;
    std::vector<std::shared_ptr<processor>> chain;
    const result_format* format = nullptr;
    std::string key, label;
};
results_plan plan_results(const analysis_state& state, const media::media_item& item, const std::string& processors,
                          const std::string& format, double start, double duration);

// What a caller follows of a results job besides its output (an item's event feed): the pipe
// once built (before it runs: attach event sinks), the pass (setup, progress), and its outcome.
struct results_hooks {
    std::function<void(pipe&)> on_pipe;
    media::pass_hooks pass;
    std::function<void(const std::string& outcome, const std::string& error)> on_outcome;
};
// The job that runs `plan` and writes its results (at most `max_values` framewise values kept).
media::job_spec results_job(const results_plan& plan, uint64_t max_values, results_hooks hooks = {});

// Registered before the /api/items/{id} route, which would otherwise take these paths.
void add_analysis_routes(http::router& routes, analysis_state& state);

}  // namespace timeside::server
