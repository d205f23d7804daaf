// The encoder is built and checked on the network thread; the decode runs in the job
// (source_pass).
#include "server/media/transcoder.hpp"

#include <fmt/format.h>

#include "core/encoder.hpp"
#include "core/errors.hpp"
#include "core/pipe.hpp"
#include "core/registry.hpp"
#include "server/log.hpp"
#include "server/media/disk_cache.hpp"
#include "server/metrics.hpp"

namespace timeside::server::media {

transcode_plan transcoder::plan(transcode_request r) {
    transcode_plan p;
    p.enc = get_processor_as<encoder>(r.encoder, r.parameters);
    p.mime = p.enc->mime_type();
    p.key = cache_key({"media", r.source.sha1, key_part(*p.enc), fmt::format("{}", r.source.start),
                       fmt::format("{}", r.source.duration)});
    p.request = std::move(r);
    return p;
}

std::shared_ptr<http::body_stream> transcoder::start(transcode_plan plan) {
    const transcode_request r = plan.request;
    job_spec spec;
    spec.key = plan.key;
    spec.ext = r.ext;
    spec.label = r.label;
    spec.source_path = r.source.file.string();
    spec.source_name = r.source.relative;
    spec.produce = [src = r.source, enc = plan.enc](byte_sink& out, const std::atomic<bool>& cancel) {
        enc->set_sink(std::shared_ptr<byte_sink>(std::shared_ptr<byte_sink>{}, &out));
        run_source_pass(src, *source_pipe(src, {enc}), cancel);
    };
    spec.on_end = [label = r.label, ext = r.ext, seconds = r.audio_seconds, stats = stats_](const std::string& outcome,
                                                                                         double wall) {
        // Only a finished encode is known to hold all its seconds: the others add no factor.
        if (stats) stats->on_transcode_end(ext, outcome, outcome == "done" ? seconds : 0, wall);
        log(outcome == "failed" ? log_level::warn : log_level::info, "transcode",
            {{"output", label},
             {"outcome", outcome},
             {"seconds", fmt::format("{:.3f}", wall)},
             {"realtime", outcome == "done" && wall > 0 && seconds > 0 ? fmt::format("{:.1f}", seconds / wall) : std::string("-")}});
    };
    return runner_.start_or_join(std::move(spec)).stream;
}

}  // namespace timeside::server::media
