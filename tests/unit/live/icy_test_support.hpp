// An ICY stream read back the way a player does (icecast-metadata-js, FFmpeg): `metaint` audio
// bytes, a length byte L, L × 16 bytes of metadata; written from the protocol's description,
// independently of src/server/live/icy.cpp.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace timeside::test {

struct icy_block {
    size_t audio_offset = 0;  // audio bytes before it
    size_t length_byte = 0;
    std::string payload;      // L × 16 bytes, NUL padding included
    // The StreamTitle value when the block has one: up to the first `';`.
    std::optional<std::string> title() const {
        const std::string key = "StreamTitle='";
        if (payload.compare(0, key.size(), key) != 0) return std::nullopt;
        const size_t end = payload.find("';", key.size());
        if (end == std::string::npos) return std::nullopt;
        return payload.substr(key.size(), end - key.size());
    }
};

// Feeds bytes in any pieces; audio and blocks come out.
class icy_reader {
public:
    explicit icy_reader(size_t metaint) : metaint_(metaint) {}
    void feed(const unsigned char* p, size_t n) {
        for (size_t i = 0; i < n; ++i) byte(p[i]);
    }
    std::vector<unsigned char> audio;
    std::vector<icy_block> blocks;
    bool in_block() const { return state_ != state::audio; }

private:
    enum class state { audio, length, payload };
    void byte(unsigned char b) {
        switch (state_) {
        case state::audio:
            audio.push_back(b);
            if (++since_ == metaint_) state_ = state::length;
            break;
        case state::length:
            current_ = icy_block{audio.size(), b, {}};
            since_ = 0;
            if (b == 0) {
                blocks.push_back(current_);
                state_ = state::audio;
            } else {
                state_ = state::payload;
            }
            break;
        case state::payload:
            current_.payload += static_cast<char>(b);
            if (current_.payload.size() == current_.length_byte * 16) {
                blocks.push_back(current_);
                state_ = state::audio;
            }
            break;
        }
    }
    size_t metaint_;
    size_t since_ = 0;
    state state_ = state::audio;
    icy_block current_;
};

}  // namespace timeside::test
