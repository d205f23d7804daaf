// Built on the job's thread, when the work really starts: a request that joins a running job or
// finds its output cached costs only its processors' validation. The file is stat'ed before and
// after the run: a rewrite in place (cp) changes its mtime, a truncation its size, a rename over
// it its inode.
#include "server/media/source_pass.hpp"

#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/errors.hpp"
#include "core/pipe.hpp"
#include "core/registry.hpp"
#include "server/media/job_errors.hpp"

namespace timeside::server::media {

namespace {

struct identity {
    uint64_t size = 0;
    int64_t mtime_ns = 0;
    dev_t dev = 0;
    ino_t ino = 0;
};

identity identify(const item_source& src) {
    struct stat st {};
    if (::stat(src.file.c_str(), &st) != 0) {
        const char* cause = std::strerror(errno);
        throw source_changed_error(fmt::format("{}: the file is gone ({})", src.relative, cause),
                                   fmt::format("{} ({}): cannot stat it: {}", src.relative, src.file.string(), cause));
    }
    return {static_cast<uint64_t>(st.st_size), int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
            st.st_dev, st.st_ino};
}

[[noreturn]] void changed(const item_source& src, const std::string& how, bool during) {
    const std::string text =
        during ? fmt::format("{} changed while it was read ({}); the output is not kept", src.relative, how)
               : fmt::format("{} changed since the library scanned it ({}); it is served again once the library "
                             "has rescanned it",
                             src.relative, how);
    throw source_changed_error(text, text);
}

std::string compare(const identity& was, const identity& now) {
    if (now.size != was.size) return fmt::format("size {} -> {} bytes", was.size, now.size);
    if (now.mtime_ns != was.mtime_ns) return "modified";
    if (now.dev != was.dev || now.ino != was.ino) return "replaced by another file";
    return {};
}

}  // namespace

std::unique_ptr<pipe> source_pipe(const item_source& src, const std::vector<std::shared_ptr<processor>>& chain) {
    auto source = get_processor("file_decoder", {{"uri", src.file.string()},
                                                 {"start", src.start},
                                                 {"duration", src.duration},
                                                 {"sha1", src.sha1}});
    auto p = std::make_unique<pipe>(std::dynamic_pointer_cast<decoder>(source));
    for (const auto& proc : chain) p->add(proc);
    return p;
}

void run_source_pass(const item_source& src, pipe& p, const std::atomic<bool>& cancel, const pass_hooks& hooks) {
    const identity before = identify(src);
    if (src.size != 0 || src.mtime_ns != 0) {
        if (before.size != src.size) changed(src, fmt::format("size {} -> {} bytes", src.size, before.size), false);
        if (before.mtime_ns != src.mtime_ns) changed(src, "modified", false);
    }
    int64_t decoded = 0, total = -1;
    run_options opts;
    opts.cancel = &cancel;
    opts.on_setup = hooks.on_setup;
    opts.progress = [&](int64_t done, int64_t all) {
        decoded = done;
        total = all;
        if (hooks.progress) hooks.progress(done, all);
    };
    try {
        p.run(opts);
    } catch (const cancelled_error&) {
        throw;
    } catch (...) {
        // A decode that failed because the file changed under it fails for that reason.
        if (auto how = compare(before, identify(src)); !how.empty()) changed(src, how, true);
        throw;
    }
    if (auto how = compare(before, identify(src)); !how.empty()) changed(src, how, true);
    // The same file, but less of it than its header announced (rewritten and restored, or a
    // header that lies): more than 1% short is not the whole item. Only where the length is a
    // header's count (WAV, FLAC): a compressed stream's is often an estimate.
    std::string ext = src.file.extension().string();
    for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const bool counted = ext == ".wav" || ext == ".flac";
    if (counted && !cancel && total > 0 && decoded + total / 100 < total)
        changed(src, fmt::format("its decode ended after {} of {} frames", decoded, total), true);
}

std::string key_part(const processor& p) { return fmt::format("{}@{}:{}", p.id(), p.info().version, p.parameters().to_kv()); }

}  // namespace timeside::server::media
