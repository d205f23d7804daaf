// Structured logs on stderr, one line per event in logfmt (`key=value`, values quoted when they
// hold spaces, quotes or '='), preceded by a UTC timestamp and a level: journald and grep both
// read them. Each line goes out in one write(2), so lines from several threads never interleave.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace timeside::server {

enum class log_level { info, warn, error };

using log_fields = std::vector<std::pair<std::string_view, std::string>>;

// "2025-01-02T03:04:05.678Z info request method=GET target=/api/items status=200 ..."
std::string format_log_line(log_level level, std::string_view event, const log_fields& fields);
void log(log_level level, std::string_view event, const log_fields& fields = {});

}  // namespace timeside::server
