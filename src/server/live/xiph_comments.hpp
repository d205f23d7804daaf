// The comment header that Vorbis ("\x03vorbis", Vorbis I spec §5) and Opus ("OpusTags", RFC 7845
// §5.2) share: a vendor string and "KEY=value" fields. Read from a stream's own header packet and
// written back with a new title, for the links an Ogg push chains (ogg_relinker).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace timeside::server::live {

enum class xiph_codec { vorbis, opus };

struct xiph_comments {
    std::string vendor;
    std::vector<std::string> fields;  // "KEY=value", in order
};

// The comments of a Vorbis comment header or an OpusTags packet; nullopt when the packet is not
// one (wrong magic, lengths past its end).
std::optional<xiph_comments> parse_comment_packet(xiph_codec codec, std::span<const unsigned char> packet);
// The packet for `c`: Vorbis' ends with its framing bit, OpusTags has none.
std::vector<unsigned char> comment_packet(xiph_codec codec, const xiph_comments& c);
// Drops every field named `key` (case-insensitive, as the spec compares names) and, unless
// `value` is empty, appends key=value.
void set_comment(xiph_comments& c, const std::string& key, const std::string& value);

}  // namespace timeside::server::live
