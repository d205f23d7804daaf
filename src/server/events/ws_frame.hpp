// RFC 6455 framing for the events feed's own WebSocket session: the heads of the server's frames
// (unmasked, so a feed message's frame is the same bytes for every subscriber and is made once, in
// the hub) and an incremental parser of the client's frames (masked, 64 KiB per message at most,
// fragments joined, control frames between them, every violation a close code with a reason).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace timeside::server::events::ws {

enum class opcode : uint8_t { continuation = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10 };

// The close codes the feed sends (RFC 6455 section 7.4.1; 1012 from IANA's registry).
enum class close_code : uint16_t {
    normal = 1000,
    going_away = 1001,
    protocol_error = 1002,
    invalid_payload = 1007,  // a text message that is not UTF-8
    policy_error = 1008,
    too_big = 1009,
    service_restart = 1012,
};

// The head of a final, unmasked frame of `size` payload bytes: 2, 4 or 10 bytes (the shortest
// length encoding, as the RFC requires).
std::string frame_head(opcode op, size_t size);
// A whole close frame: the code, then `reason` cut to the 123 bytes a control frame leaves (at a
// UTF-8 character boundary).
std::string close_frame(close_code code, std::string_view reason);
// A whole ping or pong frame; `payload` is cut to 125 bytes.
std::string control_frame(opcode op, std::string_view payload);

// Whether `s` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool valid_utf8(std::string_view s);

// What parsing the client's bytes gave.
struct frame_event {
    enum class kind { none, message, ping, pong, close, failed };
    kind what = kind::none;
    bool binary = false;   // message: a binary one
    std::string payload;   // message: the whole message; ping/pong: the payload
    uint16_t code = 0;     // close: the peer's code (1005 when it gave none); failed: the code to close with
    std::string reason;    // close: the peer's reason; failed: why, for the close frame
};

class frame_parser {
public:
    explicit frame_parser(size_t max_message) : max_message_(max_message) {}

    // Reads client bytes up to and including the first complete event in `in` and returns how many
    // it used; `out` is that event (kind::none when `in` ends first: call again with more bytes).
    // After a failure the frame it was in is skipped when its length is known; a stream it cannot
    // follow any more (a bad 64-bit length) swallows every later byte.
    size_t parse(std::string_view in, frame_event& out);

    // From now on data frames are skipped (not kept, no cap): the session is closing and waits
    // only for the peer's close frame.
    void discard_data() { discarding_ = true; message_.clear(); message_.shrink_to_fit(); }

private:
    size_t parse_head(std::string_view in, frame_event& out);
    void fail(frame_event& out, uint16_t code, std::string reason);
    void end_frame(frame_event& out);

    const size_t max_message_;
    unsigned char head_[14]{};
    uint8_t head_size_ = 0;
    bool in_payload_ = false;
    bool lost_ = false;        // the stream cannot be followed: everything is swallowed
    bool discarding_ = false;  // closing: data frames are skipped
    bool skip_ = false;        // this frame's payload is skipped (failed, or discarding)
    bool fin_ = false;
    opcode op_ = opcode::continuation;
    uint64_t remaining_ = 0;
    unsigned char mask_[4]{};
    uint8_t mask_at_ = 0;
    opcode message_op_ = opcode::continuation;  // text/binary while a fragmented message goes on
    bool in_message_ = false;
    std::string message_;
    std::string control_;
};

}  // namespace timeside::server::events::ws
