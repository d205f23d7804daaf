// One decode of a library item through processors, as every job runs it (an encode, results, a
// render): file_decoder with the item's known sha1 (no second hash) and segment, the processors
// in one pipe, stoppable between blocks. And the part of a cache key a processor contributes.
#pragma once

#include <atomic>
#include <filesystem>
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
};

// The pipe `file_decoder | chain...` (the pipe adds the parents processors ask for).
std::unique_ptr<pipe> source_pipe(const item_source& src, const std::vector<std::shared_ptr<processor>>& chain);
// Runs it; cancelled_error once `cancel` is set.
void run_cancellable(pipe& p, const std::atomic<bool>& cancel);
// "id@version:a=1,b=x": what makes a processor's output differ.
std::string key_part(const processor& p);

}  // namespace timeside::server::media
