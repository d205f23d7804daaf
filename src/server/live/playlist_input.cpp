// playlist_input: the order of a pass, drawn when the pass starts.
#include "server/live/playlist_input.hpp"

#include <algorithm>
#include <filesystem>
#include <numeric>

#include <fmt/format.h>

#include "core/errors.hpp"

namespace timeside::server::live {

playlist_input::playlist_input(std::vector<std::string> files, bool loop, bool shuffle)
    : files_(std::move(files)), loop_(loop), shuffle_(shuffle) {
    if (files_.empty()) throw usage_error("playlist: it lists no file");
}

playlist_input::~playlist_input() {
    stop();
}

std::string playlist_input::describe() const {
    return fmt::format("playlist of {} file(s){}{}", files_.size(), shuffle_ ? ", shuffled" : "",
                       loop_ ? " (looped)" : "");
}

std::optional<std::string> playlist_input::next_file() {
    if (next_ == order_.size()) {
        if (!first_pass_ && !loop_) return std::nullopt;
        first_pass_ = false;
        order_.resize(files_.size());
        std::iota(order_.begin(), order_.end(), size_t{0});
        if (shuffle_) std::shuffle(order_.begin(), order_.end(), random_);
        next_ = 0;
    }
    return files_[order_[next_++]];
}

std::optional<std::string> playlist_input::title_for(const std::string& file,
                                                     const std::map<std::string, std::string>& tags) {
    if (auto t = title_from_tags(tags)) return t;
    return std::filesystem::path(file).stem().string();
}

}  // namespace timeside::server::live
