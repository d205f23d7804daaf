// The decoder is built on the job's thread, when the encode really starts: a request that joins
// a running encode or finds its output cached costs only the encoder's validation.
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
    p.key = cache_key({"media", r.sha1, p.enc->id(), p.enc->info().version, p.enc->parameters().to_kv(),
                       fmt::format("{}", r.start), fmt::format("{}", r.duration)});
    p.request = std::move(r);
    return p;
}

transcode_start transcoder::start(transcode_plan plan) {
    const transcode_request r = plan.request;
    job_spec spec;
    spec.key = plan.key;
    spec.ext = r.ext;
    spec.label = r.label;
    spec.source_path = r.file.string();
    spec.source_name = r.relative;
    spec.produce = [r, enc = plan.enc](byte_sink& out, const std::atomic<bool>& cancel) {
        auto source = get_processor("file_decoder",
                                    {{"uri", r.file.string()}, {"start", r.start}, {"duration", r.duration}, {"sha1", r.sha1}});
        enc->set_sink(std::shared_ptr<byte_sink>(std::shared_ptr<byte_sink>{}, &out));
        pipe p(std::dynamic_pointer_cast<decoder>(source));
        p.add(enc);
        run_options opts;
        opts.cancel = &cancel;
        p.run(opts);
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
    auto attached = runner_.start_or_join(std::move(spec));
    return {std::move(attached.stream), attached.joined};
}

}  // namespace timeside::server::media
