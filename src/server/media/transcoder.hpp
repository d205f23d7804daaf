// On-demand transcodes: a request checked and turned into a cache key and an encoder on the
// network thread (bad parameters are a 400 before anything runs), then run as a shared job
// (file_decoder | encoder) whose output goes to every client asking for it and into the cache.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "core/parameters.hpp"
#include "server/media/job_runner.hpp"
#include "server/media/source_pass.hpp"

namespace timeside {
class encoder;
}

namespace timeside::server {
class metrics;
}

namespace timeside::server::media {

struct transcode_request {
    item_source source;  // the file, its sha1 and the segment
    std::string label;  // how logs and errors name it: "sweep.ogg"
    std::string ext;    // the URL's extension: the cached file's too
    double audio_seconds = 0;  // how much audio the output holds (for the realtime factor)
    std::string encoder;       // a processor id: vorbis_encoder...
    raw_parameters parameters;
};

// A request once checked: its encoder (parameters validated), MIME type and content key.
struct transcode_plan {
    transcode_request request;
    std::shared_ptr<timeside::encoder> enc;
    std::string mime;
    std::string key;
};

class transcoder {
public:
    // `stats`, when given, counts each encode's end (format, outcome, realtime factor).
    explicit transcoder(job_runner& runner, metrics* stats = nullptr) : runner_(runner), stats_(stats) {}

    // Builds the encoder (usage_error naming a bad parameter) and the key: the source's sha1,
    // the encoder's id and version, every parameter's effective value, the segment.
    static transcode_plan plan(transcode_request request);
    // Joins the encode of the same key or starts one: its bytes, or null when every job slot
    // is taken.
    std::shared_ptr<http::body_stream> start(transcode_plan plan);
    size_t active() const { return runner_.active(); }
    unsigned max_jobs() const { return runner_.max_jobs(); }

private:
    job_runner& runner_;
    metrics* stats_;
};

}  // namespace timeside::server::media
