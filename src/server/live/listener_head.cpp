// The head Icecast 2.4.4 writes for a listener (format.c, format_mp3.c), plus the CORS headers
// browser players need; every value one line, as a source's ice-* headers may not be.
#include "server/live/listener_head.hpp"

#include <utility>
#include <vector>

#include <fmt/format.h>

#include "server/live/hub.hpp"

namespace timeside::server::live {

namespace {
// A header value as sent: one line, no control characters (a name from a source's ice-name).
std::string header_value(std::string_view v) {
    std::string out;
    for (char c : v) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) ? ' ' : c;
    return out;
}
}  // namespace

std::string listener_head(const hub_settings& s, bool icy_metadata) {
    std::vector<std::pair<std::string, std::string>> icy;
    if (s.bitrate_kbps > 0) icy.emplace_back("icy-br", std::to_string(s.bitrate_kbps));
    if (!s.description.empty()) icy.emplace_back("icy-description", header_value(s.description));
    if (!s.genre.empty()) icy.emplace_back("icy-genre", header_value(s.genre));
    if (icy_metadata) icy.emplace_back("icy-metaint", std::to_string(s.metaint));
    if (!s.name.empty()) icy.emplace_back("icy-name", header_value(s.name));
    icy.emplace_back("icy-pub", s.is_public ? "1" : "0");
    if (!s.url.empty()) icy.emplace_back("icy-url", header_value(s.url));
    std::string audio_info = fmt::format("ice-samplerate={};ice-channels={}", s.samplerate, s.channels);
    if (s.bitrate_kbps > 0) audio_info += fmt::format(";ice-bitrate={}", s.bitrate_kbps);

    std::string head = "HTTP/1.0 200 OK\r\n";
    head += "Content-Type: " + header_value(s.content_type) + "\r\n";
    head += "Server: TimeSide/" TIMESIDE_VERSION "\r\n";
    head += "Connection: Close\r\n";
    head += "Cache-Control: no-cache, no-store\r\n";
    head += "Expires: Mon, 26 Jul 1997 05:00:00 GMT\r\n";
    head += "Pragma: no-cache\r\n";
    head += "Access-Control-Allow-Origin: *\r\n";
    std::string exposed;
    for (const auto& [name, value] : icy) exposed += (exposed.empty() ? "" : ", ") + name;
    head += "Access-Control-Expose-Headers: " + exposed + ", ice-audio-info\r\n";
    head += "ice-audio-info: " + audio_info + "\r\n";
    for (const auto& [name, value] : icy) head += name + ": " + value + "\r\n";
    head += "\r\n";
    return head;
}

}  // namespace timeside::server::live
