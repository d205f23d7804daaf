// The answer every produced output shares (/media encodings, results, renders, waveform data):
// from the disk cache when it is there (Content-Length, ETag, ranges, 304), else the bytes of the
// job producing it, joined or started, sent as they come; 429 when every job slot is taken.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "server/http/router.hpp"
#include "server/media/disk_cache.hpp"

namespace timeside::server {

class metrics;

struct output_target {
    std::string_view kind;  // media, results, graph, waveform: the metrics' label
    std::string key;        // media::cache_key() of the output
    std::string ext;        // the cached file's extension
    std::string mime;
};

// `start` joins or starts the job (null stream: no slot free); it is only called on a miss and
// not for HEAD. `max_jobs` is quoted in the 429.
http::reply cached_or_produced(const http::request_context& ctx, media::disk_cache& cache, metrics* counters,
                               const output_target& target,
                               const std::function<std::shared_ptr<http::body_stream>()>& start, unsigned max_jobs);

}  // namespace timeside::server
