// ICY metadata blocks and their interleaving: the byte layout Icecast's format_mp3.c sends
// (length byte, `StreamTitle='…';`, NUL padding), applied to chunks of any format.
#include "server/live/icy.hpp"

#include <stdexcept>

namespace timeside::server::live::icy {

namespace {
constexpr std::string_view prefix = "StreamTitle='";
constexpr std::string_view suffix = "';";
// The payload leaves one NUL at least, like Icecast's (its length counts the terminator).
constexpr size_t max_title_bytes = max_block_payload - 1 - prefix.size() - suffix.size();

bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }
}  // namespace

std::string clean_title(std::string_view title) {
    std::string out;
    out.reserve(title.size());
    for (size_t i = 0; i < title.size(); ++i) {
        const auto c = static_cast<unsigned char>(title[i]);
        if (c < 0x20 || c == 0x7F) {
            out += ' ';
            continue;
        }
        out += static_cast<char>(c);
        if (c == '\'' && i + 1 < title.size() && title[i + 1] == ';') ++i;  // drop the ';'
    }
    if (out.size() > max_title_bytes) {
        size_t end = max_title_bytes;
        // Back to the first byte of the character that would be cut.
        while (end > 0 && is_continuation(static_cast<unsigned char>(out[end]))) --end;
        out.resize(end);
    }
    return out;
}

std::string metadata_block(std::string_view title) {
    const std::string clean = clean_title(title);
    const size_t payload = prefix.size() + clean.size() + suffix.size();
    const size_t units = payload / 16 + 1;  // room for at least one NUL
    std::string block(1 + units * 16, '\0');
    block[0] = static_cast<char>(units);
    size_t at = 1;
    for (std::string_view part : {prefix, std::string_view(clean), suffix}) {
        block.replace(at, part.size(), part);
        at += part.size();
    }
    return block;
}

interleaver::interleaver(size_t metaint) : metaint_(metaint), until_block_(metaint) {
    if (metaint == 0) throw std::invalid_argument("icy metaint must be at least 1 byte");
}

std::span<const unsigned char> interleaver::next_block(const title_block& title) {
    ++blocks_;
    until_block_ = metaint_;
    if (title.version != sent_version_ && !title.block.empty()) {
        sent_version_ = title.version;
        return {reinterpret_cast<const unsigned char*>(title.block.data()), title.block.size()};
    }
    return {empty_block, 1};
}

}  // namespace timeside::server::live::icy
