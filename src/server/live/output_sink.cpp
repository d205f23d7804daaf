// output_sink: one chunk per encoder write, its sync flag read from the bytes.
#include "server/live/output_sink.hpp"

#include <cstring>

#include "encoders/mp3_frames.hpp"

namespace timeside::server::live {

bool starts_on_boundary(const std::string& format, std::span<const unsigned char> bytes) {
    if (format == "ogg" || format == "opus") return bytes.size() >= 4 && std::memcmp(bytes.data(), "OggS", 4) == 0;
    if (format == "mp3") return parse_mp3_frame_header(bytes).has_value();
    // FLAC frame header: 14-bit sync code 0b11111111111110, then a reserved 0 and the blocking bit.
    if (format == "flac") return bytes.size() >= 2 && bytes[0] == 0xFF && (bytes[1] & 0xFE) == 0xF8;
    return false;
}

output_sink::output_sink(std::shared_ptr<chunk_target> target, std::string format, int mount_rate)
    : target_(std::move(target)), format_(std::move(format)), clock_(format_, mount_rate), timed_(mount_rate > 0) {}

void output_sink::write(std::span<const unsigned char> chunk, bool is_header) {
    if (chunk.empty()) return;
    auto c = std::make_shared<live_chunk>();
    c->bytes.assign(chunk.begin(), chunk.end());
    c->header = is_header;
    c->sync = !is_header && starts_on_boundary(format_, chunk);
    c->end_frame = end_frame_;
    if (timed_) {
        const int64_t at = clock_.next(chunk, is_header);  // every chunk: the clock counts them all
        if (c->sync) c->audio_frame = at;
    }
    ++chunks_;
    bytes_ += static_cast<int64_t>(chunk.size());
    if (target_) target_->publish(std::move(c));
}

}  // namespace timeside::server::live
