// Building a push's requests and reading the server's status lines (icecast_push_request.hpp).
#include "server/live/icecast_push_request.hpp"

#include <cctype>

#include <fmt/format.h>

namespace timeside::server::live {

namespace {

std::string base64(std::string_view in) {
    static constexpr char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                           static_cast<unsigned char>(in[i + 2]);
        out += table[(v >> 18) & 63];
        out += table[(v >> 12) & 63];
        out += table[(v >> 6) & 63];
        out += table[v & 63];
    }
    if (i + 1 == in.size()) {
        const unsigned v = static_cast<unsigned char>(in[i]) << 16;
        out += table[(v >> 18) & 63];
        out += table[(v >> 12) & 63];
        out += "==";
    } else if (i + 2 == in.size()) {
        const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
        out += table[(v >> 18) & 63];
        out += table[(v >> 12) & 63];
        out += table[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

std::string query_escape(std::string_view s) {
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
        else out += fmt::format("%{:02X}", c);
    }
    return out;
}

// A header value from the definition: no line breaks can end the header early.
std::string header_value(std::string_view s) {
    std::string out;
    for (char c : s) out += (c == '\r' || c == '\n') ? ' ' : c;
    return out;
}

std::string host_header(const push_target& t) {
    const bool v6 = t.host.find(':') != std::string::npos;
    return fmt::format("{}{}{}:{}", v6 ? "[" : "", t.host, v6 ? "]" : "", t.port);
}

std::string authorization(const push_target& t) { return "Basic " + base64(t.user + ":" + t.password); }

}  // namespace

std::string ice_audio_info(const push_stream_info& info) {
    // libshout's order, as our own /status-json.xsl shows it (icecast_status.cpp).
    if (info.bitrate_kbps) return fmt::format("bitrate={};samplerate={};channels={}", info.bitrate_kbps, info.samplerate, info.channels);
    return fmt::format("samplerate={};channels={}", info.samplerate, info.channels);
}

std::string source_request(const push_target& t, push_method method, const push_stream_info& info) {
    std::string r = method == push_method::put ? fmt::format("PUT {} HTTP/1.1\r\n", t.mount)
                                               : fmt::format("SOURCE {} HTTP/1.0\r\n", t.mount);
    r += fmt::format("Host: {}\r\n", host_header(t));
    r += fmt::format("Authorization: {}\r\n", authorization(t));
    r += "User-Agent: TimeSide/" TIMESIDE_VERSION "\r\n";
    r += fmt::format("Content-Type: {}\r\n", header_value(info.content_type));
    if (method == push_method::put) r += "Expect: 100-continue\r\n";
    if (!info.name.empty()) r += fmt::format("ice-name: {}\r\n", header_value(info.name));
    if (!info.description.empty()) r += fmt::format("ice-description: {}\r\n", header_value(info.description));
    if (!info.genre.empty()) r += fmt::format("ice-genre: {}\r\n", header_value(info.genre));
    if (!info.url.empty()) r += fmt::format("ice-url: {}\r\n", header_value(info.url));
    r += fmt::format("ice-public: {}\r\n", info.is_public ? 1 : 0);
    if (info.bitrate_kbps) r += fmt::format("ice-bitrate: {}\r\n", info.bitrate_kbps);
    r += fmt::format("ice-audio-info: {}\r\n", ice_audio_info(info));
    r += "\r\n";
    return r;
}

std::string metadata_request(const push_target& t, std::string_view title) {
    return fmt::format("GET /admin/metadata?mount={}&mode=updinfo&song={} HTTP/1.0\r\nHost: {}\r\nAuthorization: {}\r\n"
                       "User-Agent: TimeSide/" TIMESIDE_VERSION "\r\n\r\n",
                       query_escape(t.mount), query_escape(title), host_header(t), authorization(t));
}

std::optional<int> response_status(std::string_view line) {
    const auto space = line.find(' ');
    if (space == std::string_view::npos) return std::nullopt;
    const std::string_view proto = line.substr(0, space);
    if (proto.rfind("HTTP/", 0) != 0 && proto.rfind("ICE/", 0) != 0) return std::nullopt;
    const std::string_view code = line.substr(space + 1, 3);
    if (code.size() != 3) return std::nullopt;
    int v = 0;
    for (char c : code) {
        if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
        v = v * 10 + (c - '0');
    }
    return v;
}

std::string refusal_text(int status, std::string_view status_line) {
    if (status == 401) return "bad credentials (401)";
    if (status == 403) return fmt::format("mount in use or refused (403): {}", status_line);
    return fmt::format("refused: {}", status_line);
}

bool asks_for_source(int status) { return status == 400 || status == 405 || status == 501; }

}  // namespace timeside::server::live
