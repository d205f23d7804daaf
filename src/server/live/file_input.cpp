// file_input: the same file again while looping.
#include "server/live/file_input.hpp"

namespace timeside::server::live {

file_input::file_input(std::string file, bool loop) : file_(std::move(file)), loop_(loop) {}

file_input::~file_input() {
    stop();
}

std::string file_input::describe() const {
    return "file " + file_ + (loop_ ? " (looped)" : "");
}

std::optional<std::string> file_input::next_file() {
    if (!loop_ && plays_ > 0) return std::nullopt;
    ++plays_;
    return file_;
}

std::optional<std::string> file_input::title_for(const std::string&, const std::map<std::string, std::string>& tags) {
    return title_from_tags(tags);
}

}  // namespace timeside::server::live
