// The player's thread: open, decode into the buffer (waiting while it is full), next file.
#include "server/live/file_player.hpp"

#include <fmt/format.h>

#include "core/errors.hpp"
#include "core/thread_name.hpp"
#include "decoders/gst_audio_source.hpp"
#include "decoders/input_check.hpp"

namespace timeside::server::live {

std::optional<std::string> title_from_tags(const std::map<std::string, std::string>& tags) {
    auto title = tags.find("title");
    if (title == tags.end() || title->second.empty()) return std::nullopt;
    auto artist = tags.find("artist");
    if (artist == tags.end() || artist->second.empty()) return title->second;
    return artist->second + " - " + title->second;
}

file_player::~file_player() {
    stop();
}

void file_player::start(audio_format format) {
    stop();
    format_ = format;
    stopping_ = false;
    buffer_ = std::make_unique<input_buffer>(
        format.channels, static_cast<int64_t>(ahead_seconds * format.samplerate));
    thread_ = std::thread([this] {
        name_this_thread("file_player");
        run();
    });
}

live_input::status file_player::read(std::vector<float>& out, int64_t max_frames, std::chrono::milliseconds wait) {
    if (!buffer_) return status::waiting;
    return buffer_->read(out, max_frames, wait);
}

std::string file_player::error() const {
    return buffer_ ? buffer_->error() : std::string{};
}

std::optional<std::string> file_player::take_title() {
    return buffer_ ? buffer_->take_title() : std::nullopt;
}

void file_player::stop() noexcept {
    stopping_ = true;
    {
        std::lock_guard lock(current_mutex_);
        if (current_) current_->cancel();
    }
    if (buffer_) buffer_->close();
    if (thread_.joinable()) thread_.join();
}

int64_t file_player::play(const std::string& file) {
    const resolved_input in = resolve_input(file);
    gst_source_options options;
    options.uri = in.uri;
    options.label = in.label;
    options.samplerate = format_.samplerate;
    options.channels = format_.channels;
    options.chunk_frames = 4096;
    gst_audio_source source(options);
    {
        std::lock_guard lock(current_mutex_);
        if (stopping_) return -1;
        current_ = &source;
    }
    struct forget {
        file_player& p;
        ~forget() {
            std::lock_guard lock(p.current_mutex_);
            p.current_ = nullptr;
        }
    } forget_on_exit{*this};

    source.open();
    if (auto title = title_for(file, source.media().tags)) buffer_->mark_title(*title);
    // An MP3's encoder delay (from its LAME tag) is not the file's audio: a loop would click.
    int64_t lead = source.lead_frames();
    source.play();
    std::vector<float> chunk;
    int64_t pts = 0, written = 0;
    while (source.pull(chunk, pts)) {
        const auto frames = static_cast<int64_t>(chunk.size()) / format_.channels;
        const int64_t drop = std::min(lead, frames);
        lead -= drop;
        if (frames > drop && !buffer_->write(chunk.data() + drop * format_.channels, frames - drop)) return -1;
        written += frames - drop;
        chunk.clear();
    }
    return stopping_ ? -1 : written;
}

void file_player::run() {
    size_t failures = 0;  // files in a row that gave no audio
    std::string last_error;
    try {
        for (;;) {
            if (stopping_) return;
            auto file = next_file();
            if (!file) {
                buffer_->finish(status::ended);
                return;
            }
            bool gave_audio = false;
            try {
                const int64_t frames = play(*file);
                if (frames < 0) return;
                gave_audio = frames > 0;
                if (!gave_audio) last_error = fmt::format("{}: it holds no audio", *file);
            } catch (const cancelled_error&) {
                return;
            } catch (const std::exception& e) {
                if (stopping_) return;
                last_error = e.what();
                if (!skip_failures()) {
                    buffer_->finish(status::failed, last_error);
                    return;
                }
            }
            failures = gave_audio ? 0 : failures + 1;
            // A whole pass of files that give nothing would spin: that is a failure too.
            if (failures >= files_per_pass()) {
                buffer_->finish(status::failed, files_per_pass() == 1
                                                    ? last_error
                                                    : fmt::format("no file of the playlist plays; the last: {}", last_error));
                return;
            }
        }
    } catch (const std::exception& e) {
        buffer_->finish(status::failed, e.what());
    }
}

}  // namespace timeside::server::live
