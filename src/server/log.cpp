// logfmt lines: quoting only where a parser would otherwise split the value.
#include "server/log.hpp"

#include <chrono>

#include <unistd.h>

#include <fmt/chrono.h>
#include <fmt/format.h>

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

void append_value(std::string& out, std::string_view v) {
    const bool quote = v.empty() || v.find_first_of(" \"=\t\r\n\\") != std::string_view::npos;
    if (!quote) {
        out += v;
        return;
    }
    out += '"';
    for (char c : v) {
        if (c == '"' || c == '\\') out += '\\';
        if (c == '\n') out += "\\n";
        else if (c == '\r') out += "\\r";
        else if (static_cast<unsigned char>(c) < 0x20) out += ' ';
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
    const std::string line = format_log_line(level, event, fields);
    size_t done = 0;
    while (done < line.size()) {
        ssize_t n = ::write(STDERR_FILENO, line.data() + done, line.size() - done);
        if (n <= 0) return;  // a closed stderr must not stop the server
        done += static_cast<size_t>(n);
    }
}

}  // namespace timeside::server
