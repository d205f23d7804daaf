// ICY ("SHOUTcast") in-band titles, as Icecast serves them to listeners that ask with
// `Icy-MetaData: 1`: a metadata block after exactly every `metaint` audio bytes. Pure functions
// and a per-listener interleaver that splits shared chunk bytes without copying them.
#pragma once

#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace timeside::server::live::icy {

// The longest block: its length byte counts 16-byte units, so 255 × 16 bytes after it.
constexpr size_t max_block_payload = 255 * 16;

// The title as it goes between `StreamTitle='` and `';`: control characters (NUL ends the block
// for every reader, CR/LF break line-based ones) become spaces, and a `'` followed by `;` loses
// the `;` (readers end the value at the first `';`). Icecast 2.4.4 sends titles unchanged and
// refuses those over 255 × 16 bytes; we truncate on a UTF-8 character boundary so that the
// block, NUL-terminated like Icecast's, fits.
std::string clean_title(std::string_view title);

// The whole block for `title`: the length byte L, then L × 16 bytes holding
// `StreamTitle='…';` NUL-padded (at least one NUL, as Icecast). An empty title gives
// `StreamTitle='';` (a title cleared), not the empty block.
std::string metadata_block(std::string_view title);

// The block sent when the title has not changed since the listener's last block.
inline constexpr unsigned char empty_block[1] = {0};

// A title made into its block once, shared by every listener of a hub. `version` grows with each
// change; version 0 is "no title yet" (listeners then get empty blocks).
struct title_block {
    uint64_t version = 0;
    std::string title;
    std::string block;
};
using title_ptr = std::shared_ptr<const title_block>;

// One listener's position in the metaint rhythm. interleave() appends to `out` the pieces to send
// for the next audio bytes: spans of `audio` itself and, after every `metaint` audio bytes counted
// since the stream's first audio byte (across calls), a metadata block: `title`'s block when its
// version differs from the last one this listener received, else the one-byte empty block.
// The spans point into `audio` and into `*title`: both must outlive the write.
class interleaver {
public:
    explicit interleaver(size_t metaint);
    void interleave(std::span<const unsigned char> audio, const title_block& title,
                    std::vector<std::span<const unsigned char>>& out) {
        interleave(audio, title, [&out](std::span<const unsigned char> piece) { out.push_back(piece); });
    }
    // The same, each piece handed to `out(std::span<const unsigned char>)` in order.
    template <class Out>
    void interleave(std::span<const unsigned char> audio, const title_block& title, Out&& out) {
        while (!audio.empty()) {
            const size_t n = std::min(until_block_, audio.size());
            out(audio.first(n));
            audio = audio.subspan(n);
            until_block_ -= n;
            if (until_block_ > 0) break;
            out(next_block(title));
        }
    }
    size_t metaint() const { return metaint_; }
    // Audio bytes still to send before the next block.
    size_t until_block() const { return until_block_; }
    uint64_t blocks_sent() const { return blocks_; }

private:
    std::span<const unsigned char> next_block(const title_block& title);

    size_t metaint_;
    size_t until_block_;
    uint64_t sent_version_ = 0;
    uint64_t blocks_ = 0;
};

}  // namespace timeside::server::live::icy
