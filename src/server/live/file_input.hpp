// file_input: one file (a path or URI GStreamer decodes) as a mount's input, converted to the
// mount's format; with `loop` it starts again at its end (the stream goes on, no gap), without it
// the input ends. Its title comes from the file's tags ("Artist - Title").
#pragma once

#include <string>

#include "server/live/file_player.hpp"

namespace timeside::server::live {

class file_input : public file_player {
public:
    file_input(std::string file, bool loop);
    ~file_input() override;
    std::string describe() const override;

    // How many times the file was opened (1 + the loops so far).
    int64_t plays() const { return plays_.load(); }

protected:
    std::optional<std::string> next_file() override;
    std::optional<std::string> title_for(const std::string& file,
                                         const std::map<std::string, std::string>& tags) override;
    bool skip_failures() const override { return false; }
    size_t files_per_pass() const override { return 1; }

private:
    std::string file_;
    bool loop_;
    std::atomic<int64_t> plays_{0};
};

}  // namespace timeside::server::live
