// Built on the job's thread, when the work really starts: a request that joins a running job or
// finds its output cached costs only its processors' validation.
#include "server/media/source_pass.hpp"

#include <fmt/format.h>

#include "core/pipe.hpp"
#include "core/registry.hpp"

namespace timeside::server::media {

std::unique_ptr<pipe> source_pipe(const item_source& src, const std::vector<std::shared_ptr<processor>>& chain) {
    auto source = get_processor("file_decoder", {{"uri", src.file.string()},
                                                 {"start", src.start},
                                                 {"duration", src.duration},
                                                 {"sha1", src.sha1}});
    auto p = std::make_unique<pipe>(std::dynamic_pointer_cast<decoder>(source));
    for (const auto& proc : chain) p->add(proc);
    return p;
}

void run_cancellable(pipe& p, const std::atomic<bool>& cancel) {
    run_options opts;
    opts.cancel = &cancel;
    p.run(opts);
}

std::string key_part(const processor& p) { return fmt::format("{}@{}:{}", p.id(), p.info().version, p.parameters().to_kv()); }

}  // namespace timeside::server::media
