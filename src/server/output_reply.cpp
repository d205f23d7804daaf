// A miss is answered chunked with no validators: the bytes are not known yet, and a Range is
// ignored (RFC 9110 14.2 lets a server send the whole representation instead).
#include "server/output_reply.hpp"

#include <fmt/format.h>

#include "server/http/file_reply.hpp"
#include "server/metrics.hpp"

namespace timeside::server {

http::reply cached_or_produced(const http::request_context& ctx, media::disk_cache& cache, metrics* counters,
                               const output_target& target,
                               const std::function<std::shared_ptr<http::body_stream>()>& start, unsigned max_jobs) {
    const bool head_only = ctx.req.method() == http::verb::head;
    if (auto cached = cache.find(target.key, target.ext)) {
        if (counters && !head_only) counters->on_cache_lookup(target.kind, true);
        const int fd = cached->fd();
        const uint64_t size = cached->size();
        const std::string etag = cached->etag();
        return http::file_reply(ctx.req, std::move(cached), fd, size, etag, target.mime);
    }
    http::response head{http::status::ok, 11};
    head.set(http::bhttp::field::content_type, target.mime);
    head.set(http::bhttp::field::cache_control, "no-cache");
    if (head_only) return head;
    if (counters) counters->on_cache_lookup(target.kind, false);
    auto stream = start();
    if (!stream) {
        auto busy = http::error_reply(http::status::too_many_requests,
                                      fmt::format("too many transcodes running (max_transcodes = {})", max_jobs));
        busy.set(http::bhttp::field::retry_after, "1");
        return busy;
    }
    return http::reply(std::move(head), std::move(stream));
}

}  // namespace timeside::server
