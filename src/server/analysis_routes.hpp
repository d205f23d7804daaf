// What the server computes from an item besides encodings, each in one decode pass on first
// request and cached like media: analysis results (GET /api/items/{id}/results?processors=
// &format=), renders (GET /api/items/{id}/graphs/{grapher}.png?width=&height=...) and waveform
// data in audiowaveform's format (GET /api/items/{id}/waveform.{dat,json}?pixels_per_second=...).
#pragma once

#include "core/presets.hpp"
#include "server/http/router.hpp"
#include "server/media/disk_cache.hpp"
#include "server/media/job_runner.hpp"
#include "server/media/library.hpp"

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

// Registered before the /api/items/{id} route, which would otherwise take these paths.
void add_analysis_routes(http::router& routes, analysis_state& state);

}  // namespace timeside::server
