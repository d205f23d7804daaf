// playlist_input: files played one after the other, in order or shuffled (a new order each
// pass), looping or ending after the last. Each file's title: "Artist - Title" from its tags,
// else its name without folder and extension. A file that cannot be played is skipped; a pass
// where none plays makes the input fail.
#pragma once

#include <random>
#include <string>
#include <vector>

#include "server/live/file_player.hpp"

namespace timeside::server::live {

class playlist_input : public file_player {
public:
    // Throws usage_error when `files` is empty.
    playlist_input(std::vector<std::string> files, bool loop, bool shuffle);
    ~playlist_input() override;
    std::string describe() const override;

protected:
    std::optional<std::string> next_file() override;
    std::optional<std::string> title_for(const std::string& file,
                                         const std::map<std::string, std::string>& tags) override;
    bool skip_failures() const override { return true; }
    size_t files_per_pass() const override { return files_.size(); }

private:
    std::vector<std::string> files_;
    bool loop_, shuffle_;
    std::vector<size_t> order_;
    size_t next_ = 0;
    bool first_pass_ = true;
    std::mt19937_64 random_{std::random_device{}()};
};

}  // namespace timeside::server::live
