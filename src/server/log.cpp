// logfmt lines: quoting only where a parser would otherwise split the value; escaping whatever
// would break the one-event-one-line rule.
#include "server/log.hpp"

#include <algorithm>
#include <chrono>

#include <unistd.h>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "core/utf8.hpp"

namespace timeside::server {

namespace {

const char* name_of(log_level level) {
    switch (level) {
        case log_level::info: return "info";
        case log_level::warn: return "warn";
        case log_level::error: return "error";
    }
    return "info";
}

// Values come from clients too (targets, header values): made valid UTF-8 (U+FFFD), and every
// control byte escaped, so that no value can end the line or forge the next one.
void append_value(std::string& out, std::string_view raw) {
    const std::string v = to_valid_utf8(raw);
    const auto is_control = [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; };
    const bool quote = v.empty() || v.find_first_of(" \"=\\") != std::string::npos ||
                       std::any_of(v.begin(), v.end(), is_control);
    if (!quote) {
        out += v;
        return;
    }
    out += '"';
    for (char c : v) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (c == '\n') out += "\\n";
        else if (c == '\r') out += "\\r";
        else if (c == '\t') out += "\\t";
        else if (is_control(c)) out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        else out += c;
    }
    out += '"';
}

}  // namespace

std::string format_log_line(log_level level, std::string_view event, const log_fields& fields) {
    const auto now = std::chrono::system_clock::now();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::string out = fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z {} {}", fmt::gmtime(std::chrono::system_clock::to_time_t(now)),
                                  static_cast<int>(ms), name_of(level), event);
    for (const auto& [key, value] : fields) {
        out += ' ';
        out += key;
        out += '=';
        append_value(out, value);
    }
    out += '\n';
    return out;
}

void log(log_level level, std::string_view event, const log_fields& fields) {
    std::string line;
    try {
        line = format_log_line(level, event, fields);
    } catch (...) {
        return;  // out of memory: losing a log line must not take a request (or the server) with it
    }
    size_t done = 0;
    while (done < line.size()) {
        ssize_t n = ::write(STDERR_FILENO, line.data() + done, line.size() - done);
        if (n <= 0) return;  // a closed stderr must not stop the server
        done += static_cast<size_t>(n);
    }
}

}  // namespace timeside::server
