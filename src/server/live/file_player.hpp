// file_player: what file_input and playlist_input share. A thread decodes files one after the
// other (gst_audio_source, converted to the mount's format) a little ahead of the mount's clock
// into an input_buffer, so reopening a file or moving to the next costs the clock nothing. A
// file that cannot be decoded becomes `failed` (or is skipped, for a playlist), never an
// exception from read().
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "server/live/input_buffer.hpp"
#include "server/live/live_input.hpp"

namespace timeside {
class gst_audio_source;
}

namespace timeside::server::live {

// "Artist - Title", or the title alone, from a file's tags; nothing when it has no title.
std::optional<std::string> title_from_tags(const std::map<std::string, std::string>& tags);

class file_player : public live_input {
public:
    ~file_player() override;

    void start(audio_format format) override;
    status read(std::vector<float>& out, int64_t max_frames, std::chrono::milliseconds wait) override;
    std::string error() const override;
    std::optional<std::string> take_title() override;
    void stop() noexcept override;

    // How far ahead of the clock the player decodes.
    static constexpr double ahead_seconds = 0.5;

protected:
    // The player's thread calls these. Derived classes call stop() in their destructor, so the
    // thread never calls into a half-destroyed object.
    virtual std::optional<std::string> next_file() = 0;  // nothing: the sequence is over
    virtual std::optional<std::string> title_for(const std::string& file,
                                                 const std::map<std::string, std::string>& tags) = 0;
    virtual bool skip_failures() const = 0;  // a bad file: go on (playlist) or fail (one file)
    virtual size_t files_per_pass() const = 0;

private:
    void run();
    // Decodes one file into the buffer: the frames it gave, -1 when stopped. Throws
    // processing_error.
    int64_t play(const std::string& file);

    audio_format format_;
    std::unique_ptr<input_buffer> buffer_;
    std::thread thread_;
    std::atomic<bool> stopping_{false};
    std::mutex current_mutex_;
    gst_audio_source* current_ = nullptr;  // the source being decoded, for stop() to cancel
};

}  // namespace timeside::server::live
