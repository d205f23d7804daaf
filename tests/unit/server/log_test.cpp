// The access and event log: one logfmt line per event whatever the values hold. Values come from
// clients (targets, peers' names): line breaks and control bytes must not forge a second line,
// and bytes that are not UTF-8 must not reach journald or a JSON log shipper as they are.
#include <catch2/catch.hpp>

#include "core/utf8.hpp"
#include "server/log.hpp"

using namespace timeside::server;

namespace {

// The part after the timestamp and the level.
std::string fields_of(const log_fields& fields) {
    const std::string line = format_log_line(log_level::info, "request", fields);
    const size_t at = line.find(" info request");
    REQUIRE(at != std::string::npos);
    return line.substr(at + 14);
}

}  // namespace

TEST_CASE("a log line is one line whatever its values hold", "[server][log]") {
    const std::string line = format_log_line(
        log_level::warn, "request",
        {{"target", "/a\r\n2025-01-01T00:00:00.000Z info request method=GET target=/forged"}, {"status", "404"}});
    CHECK(line.find('\n') == line.size() - 1);
    CHECK(line.find('\r') == std::string::npos);
    CHECK(line.ends_with(" target=\"/a\\r\\n2025-01-01T00:00:00.000Z info request method=GET target=/forged\" status=404\n"));
}

TEST_CASE("control bytes are escaped, not passed on or silently changed", "[server][log]") {
    CHECK(fields_of({{"v", std::string("a\tb\x01" "c\x1b[31m\x7f")}}) == "v=\"a\\tb\\x01c\\x1b[31m\\x7f\"\n");
    CHECK(fields_of({{"v", std::string("nul\0x", 5)}}) == "v=\"nul\\x00x\"\n");
    CHECK(fields_of({{"v", "say \"hi\" \\o/"}}) == "v=\"say \\\"hi\\\" \\\\o/\"\n");
    CHECK(fields_of({{"v", "plain"}, {"w", ""}}) == "v=plain w=\"\"\n");
}

TEST_CASE("bytes that are not UTF-8 become U+FFFD; valid text is kept", "[server][log]") {
    const std::string line = format_log_line(log_level::info, "request", {{"target", "/api/items/\xff\xfe" "caf\xc3\xa9"}});
    CHECK(timeside::is_valid_utf8(line));
    CHECK(line.ends_with(" target=/api/items/\xef\xbf\xbd\xef\xbf\xbd" "caf\xc3\xa9\n"));
}
