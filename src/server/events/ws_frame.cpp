// The parser keeps a frame's head (at most 14 bytes) until it is whole, then unmasks the payload
// as it comes into the message (data frames) or the control payload (at most 125 bytes); a message
// is handed over only when its last fragment arrived and, for text, it is valid UTF-8.
#include "server/events/ws_frame.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace timeside::server::events::ws {

std::string frame_head(opcode op, size_t size) {
    std::string h;
    h.push_back(static_cast<char>(0x80 | static_cast<uint8_t>(op)));
    if (size < 126) {
        h.push_back(static_cast<char>(size));
    } else if (size <= 0xFFFF) {
        h.push_back(static_cast<char>(126));
        h.push_back(static_cast<char>(size >> 8));
        h.push_back(static_cast<char>(size & 0xFF));
    } else {
        h.push_back(static_cast<char>(127));
        for (int shift = 56; shift >= 0; shift -= 8) h.push_back(static_cast<char>((static_cast<uint64_t>(size) >> shift) & 0xFF));
    }
    return h;
}

std::string control_frame(opcode op, std::string_view payload) {
    payload = payload.substr(0, 125);
    std::string f = frame_head(op, payload.size());
    f.append(payload);
    return f;
}

std::string close_frame(close_code code, std::string_view reason) {
    size_t cut = std::min<size_t>(reason.size(), 123);
    while (cut > 0 && cut < reason.size() && (static_cast<unsigned char>(reason[cut]) & 0xC0) == 0x80) --cut;
    const auto c = static_cast<uint16_t>(code);
    std::string payload{static_cast<char>(c >> 8), static_cast<char>(c & 0xFF)};
    payload.append(reason.substr(0, cut));
    return control_frame(opcode::close, payload);
}

bool valid_utf8(std::string_view s) {
    size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        size_t n = 0;
        uint32_t cp = 0, min = 0;
        if ((c & 0xE0) == 0xC0) n = 1, cp = c & 0x1F, min = 0x80;
        else if ((c & 0xF0) == 0xE0) n = 2, cp = c & 0x0F, min = 0x800;
        else if ((c & 0xF8) == 0xF0) n = 3, cp = c & 0x07, min = 0x10000;
        else return false;
        for (size_t k = 1; k <= n; ++k) {
            if (i + k >= s.size()) return false;
            const auto d = static_cast<unsigned char>(s[i + k]);
            if ((d & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (d & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += n + 1;
    }
    return true;
}

namespace {
bool is_control(opcode op) { return static_cast<uint8_t>(op) >= 8; }
bool known(uint8_t op) { return op <= 2 || (op >= 8 && op <= 10); }
// The codes a peer may put in its close frame (RFC 6455 7.4; 1012-1014 from IANA's registry).
bool sendable(uint16_t code) {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}
}  // namespace

void frame_parser::fail(frame_event& out, uint16_t code, std::string reason) {
    out = {};
    out.what = frame_event::kind::failed;
    out.code = code;
    out.reason = std::move(reason);
    in_message_ = false;
    message_.clear();
    control_.clear();
}

size_t frame_parser::parse_head(std::string_view in, frame_event& out) {
    size_t used = 0;
    auto need = [this] {
        size_t n = 2;
        if (head_size_ >= 2) {
            const uint8_t len7 = head_[1] & 0x7F;
            n += len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
            n += (head_[1] & 0x80) ? 4 : 0;
        }
        return n;
    };
    while (head_size_ < need() && used < in.size()) head_[head_size_++] = static_cast<unsigned char>(in[used++]);
    if (head_size_ < need()) return used;

    fin_ = (head_[0] & 0x80) != 0;
    const uint8_t rsv = head_[0] & 0x70, raw_op = head_[0] & 0x0F;
    const bool masked = (head_[1] & 0x80) != 0;
    const uint8_t len7 = head_[1] & 0x7F;
    size_t at = 2;
    uint64_t length = len7;
    bool minimal = true;
    if (len7 == 126) {
        length = (uint64_t{head_[2]} << 8) | head_[3];
        minimal = length >= 126;
        at = 4;
    } else if (len7 == 127) {
        length = 0;
        for (int k = 0; k < 8; ++k) length = (length << 8) | head_[2 + k];
        minimal = length > 0xFFFF;
        at = 10;
    }
    if (masked) std::copy(head_ + at, head_ + at + 4, mask_);
    mask_at_ = 0;
    op_ = static_cast<opcode>(raw_op);
    remaining_ = length;
    in_payload_ = true;
    skip_ = discarding_ && !is_control(op_);
    if (length >> 63) {
        lost_ = true;
        fail(out, 1002, "frame length with its most significant bit set");
    } else if (!minimal) {
        fail(out, 1002, fmt::format("frame length {} not in its shortest encoding", length));
    } else if (rsv) {
        fail(out, 1002, "reserved bits set: no extension was negotiated");
    } else if (!known(raw_op)) {
        fail(out, 1002, fmt::format("unknown opcode {}", raw_op));
    } else if (!masked) {
        fail(out, 1002, "a client's frames must be masked");
    } else if (is_control(op_) && (!fin_ || length > 125)) {
        fail(out, 1002, !fin_ ? "a control frame must not be fragmented" : "a control frame's payload is 125 bytes at most");
    } else if (op_ == opcode::continuation && !in_message_) {
        fail(out, 1002, "a continuation frame without a message to continue");
    } else if ((op_ == opcode::text || op_ == opcode::binary) && in_message_) {
        fail(out, 1002, "a new message before the previous one's last fragment");
    } else if (!is_control(op_) && !discarding_ && message_.size() + length > max_message_) {
        fail(out, 1009, fmt::format("message over {} bytes", max_message_));
    }
    if (out.what == frame_event::kind::failed) skip_ = true;
    return used;
}

void frame_parser::end_frame(frame_event& out) {
    in_payload_ = false;
    head_size_ = 0;
    if (skip_) {
        skip_ = false;
        if (discarding_ && !is_control(op_) && out.what != frame_event::kind::failed)
            in_message_ = (op_ != opcode::continuation || in_message_) && !fin_;
        return;
    }
    switch (op_) {
        case opcode::continuation:
        case opcode::text:
        case opcode::binary:
            if (op_ != opcode::continuation) message_op_ = op_;
            in_message_ = !fin_;
            if (in_message_) return;
            if (message_op_ == opcode::text && !valid_utf8(message_)) return fail(out, 1007, "a text message that is not UTF-8");
            out.what = frame_event::kind::message;
            out.binary = message_op_ == opcode::binary;
            out.payload = std::move(message_);
            message_.clear();
            return;
        case opcode::ping:
        case opcode::pong:
            out.what = op_ == opcode::ping ? frame_event::kind::ping : frame_event::kind::pong;
            out.payload = std::move(control_);
            control_.clear();
            return;
        case opcode::close: {
            const std::string payload = std::move(control_);
            control_.clear();
            if (payload.size() == 1) return fail(out, 1002, "a close frame with a 1-byte payload");
            const uint16_t code = payload.empty() ? 1005 : static_cast<uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                                                                   static_cast<unsigned char>(payload[1]));
            if (!payload.empty() && !sendable(code)) return fail(out, 1002, fmt::format("close code {} is not one a peer may send", code));
            std::string_view reason = payload.size() > 2 ? std::string_view(payload).substr(2) : std::string_view();
            if (!valid_utf8(reason)) return fail(out, 1007, "a close reason that is not UTF-8");
            out.what = frame_event::kind::close;
            out.code = code;
            out.reason = std::string(reason);
            return;
        }
    }
}

size_t frame_parser::parse(std::string_view in, frame_event& out) {
    out = {};
    size_t used = 0;
    while (used < in.size()) {
        if (lost_) return in.size();
        if (!in_payload_) {
            used += parse_head(in.substr(used), out);
            if (out.what != frame_event::kind::none) return used;  // failed: the frame is skipped on the next call
            if (!in_payload_) return used;                         // the head is not whole yet
        } else {
            const size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, in.size() - used));
            if (!skip_) {
                std::string& into = is_control(op_) ? control_ : message_;
                const size_t from = into.size();
                into.append(in.substr(used, n));
                for (size_t k = from; k < into.size(); ++k) into[k] = static_cast<char>(into[k] ^ mask_[mask_at_++ & 3]);
            }
            remaining_ -= n;
            used += n;
        }
        if (in_payload_ && remaining_ == 0) {
            end_frame(out);
            if (out.what != frame_event::kind::none) return used;
        }
    }
    return used;
}

}  // namespace timeside::server::events::ws
