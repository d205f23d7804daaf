// A transcode is built on the caller's thread (so bad parameters are a 400 before anything runs)
// and run on its own; when the run ends, the sink is closed with the outcome and the job marks
// itself done for the next start() or stop_all() to join.
#include "server/media/transcoder.hpp"

#include <fmt/format.h>

#include "core/encoder.hpp"
#include "core/errors.hpp"
#include "core/pipe.hpp"
#include "core/registry.hpp"
#include "server/log.hpp"

namespace timeside::server::media {

namespace {

std::shared_ptr<encoder> make_encoder(const transcode_request& r) {
    return get_processor_as<encoder>(r.encoder, r.parameters);
}

}  // namespace

transcoder::transcoder(unsigned max_jobs, size_t buffer_bytes) : max_jobs_(max_jobs), buffer_bytes_(buffer_bytes) {}

transcoder::~transcoder() { stop_all(); }

std::string transcoder::mime_for(const transcode_request& request) { return make_encoder(request)->mime_type(); }

transcode_start transcoder::start(const transcode_request& r) {
    auto enc = make_encoder(r);
    auto source = get_processor("file_decoder", {{"uri", r.file.string()},
                                                 {"start", r.start},
                                                 {"duration", r.duration},
                                                 {"sha1", r.sha1}});
    auto sink = std::make_shared<stream_sink>(buffer_bytes_);
    enc->set_sink(sink);
    auto p = std::make_shared<pipe>(std::dynamic_pointer_cast<decoder>(source));
    p->add(enc);

    std::lock_guard lock(mutex_);
    reap_locked();
    if (stopped_ || jobs_.size() >= max_jobs_) return {nullptr, enc->mime_type()};
    job& j = jobs_.emplace_back();
    j.sink = sink;
    j.thread = std::thread([p, sink, label = r.label, done = &j.done] {
        std::string error;
        try {
            run_options opts;
            opts.cancel = &sink->cancelled();
            p->run(opts);
        } catch (const cancelled_error&) {
            error = "cancelled";
        } catch (const std::exception& e) {
            error = e.what();
            log(log_level::error, "transcode", {{"item", label}, {"error", error}});
        }
        sink->close(error);
        *done = true;
    });
    return {sink, enc->mime_type()};
}

void transcoder::reap_locked() {
    for (auto it = jobs_.begin(); it != jobs_.end();) {
        if (it->done) {
            it->thread.join();
            it = jobs_.erase(it);
        } else {
            ++it;
        }
    }
}

size_t transcoder::active() const {
    std::lock_guard lock(mutex_);
    size_t n = 0;
    for (const auto& j : jobs_) n += j.done ? 0 : 1;
    return n;
}

void transcoder::stop_all() {
    std::list<job> all;
    {
        std::lock_guard lock(mutex_);
        stopped_ = true;
        all.swap(jobs_);
    }
    for (auto& j : all) j.sink->cancel();
    for (auto& j : all)
        if (j.thread.joinable()) j.thread.join();
}

}  // namespace timeside::server::media
