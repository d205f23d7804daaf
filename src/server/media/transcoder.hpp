// On-demand transcodes: each one a pipe (file_decoder | encoder) run on a thread of its own,
// writing to a stream_sink that an HTTP session drains. A cap on concurrent transcodes; stop_all()
// cancels and joins every one (the server calls it when it stops).
#pragma once

#include <atomic>
#include <filesystem>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/parameters.hpp"
#include "server/media/stream_sink.hpp"

namespace timeside {
class pipe;
}

namespace timeside::server::media {

struct transcode_request {
    std::filesystem::path file;
    std::string label;  // how logs and errors name it: "sweep.ogg"
    std::string sha1;   // known from the library: the decoder does not hash again
    double start = 0;
    double duration = 0;  // 0: to the end
    std::string encoder;  // a processor id: vorbis_encoder...
    raw_parameters parameters;
};

struct transcode_start {
    std::shared_ptr<stream_sink> stream;  // null when max_jobs transcodes are running
    std::string mime;
};

class transcoder {
public:
    transcoder(unsigned max_jobs, size_t buffer_bytes);
    ~transcoder();
    transcoder(const transcoder&) = delete;
    transcoder& operator=(const transcoder&) = delete;

    // Validates the parameters (usage_error naming the parameter), then starts the encode.
    transcode_start start(const transcode_request& request);
    // Builds the encoder only, to validate the parameters and learn its MIME type (HEAD).
    static std::string mime_for(const transcode_request& request);
    size_t active() const;
    unsigned max_jobs() const { return max_jobs_; }
    void stop_all();

private:
    struct job {
        std::shared_ptr<stream_sink> sink;
        std::thread thread;
        std::atomic<bool> done{false};
    };
    void reap_locked();  // joins finished jobs

    const unsigned max_jobs_;
    const size_t buffer_bytes_;
    mutable std::mutex mutex_;
    std::list<job> jobs_;
    bool stopped_ = false;
};

}  // namespace timeside::server::media
