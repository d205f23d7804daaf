// One decode of a library item through processors, as every job runs it (an encode, results, a
// render): file_decoder with the item's known sha1 (no second hash) and segment, the processors
// in one pipe, stoppable between blocks, and checked to have read the file the sha1 was taken
// of from start to end. And the part of a cache key a processor contributes.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace timeside {
class pipe;
class processor;
}  // namespace timeside

namespace timeside::server::media {

struct item_source {
    std::filesystem::path file;  // canonical, inside its media folder
    std::string relative;        // the file under its folder: what clients may be told
    std::string sha1;
    double start = 0;
    double duration = 0;  // 0: to the end
    // The file as the library scanned it (and hashed it): a file that differs is not the sha1's.
    uint64_t size = 0;
    int64_t mtime_ns = 0;
};

// The pipe `file_decoder | chain...` (the pipe adds the parents processors ask for).
std::unique_ptr<pipe> source_pipe(const item_source& src, const std::vector<std::shared_ptr<processor>>& chain);
// What a caller may follow of a pass (run_options' hooks of the same names): `on_setup` once every
// processor is set up, `progress` after each block (frames decoded, total or -1).
struct pass_hooks {
    std::function<void()> on_setup;
    std::function<void(int64_t, int64_t)> progress;
};
// Runs it; cancelled_error once `cancel` is set. Throws source_changed_error (naming the item
// by `src.relative`) when the file is not the one the library scanned when the run starts, when
// its size, mtime or identity (device, inode) changed by the end, or when the decode ended well
// short of the length the decoder announced: what was produced is not the key's output.
void run_source_pass(const item_source& src, pipe& p, const std::atomic<bool>& cancel, const pass_hooks& hooks = {});
// "id@version:a=1,b=x": what makes a processor's output differ.
std::string key_part(const processor& p);

}  // namespace timeside::server::media
