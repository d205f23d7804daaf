// The status JSON built key by key in icecast's order: a std::map gives the byte-wise order
// icecast's stats tree has, then the stylesheet's trailing "dummy": null is appended.
#include "server/live/icecast_status.hpp"

#include <algorithm>
#include <ctime>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace timeside::server::live {

namespace {

using ordered = nlohmann::ordered_json;

std::tm utc(std::chrono::system_clock::time_point t) {
    const std::time_t s = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&s, &tm);
    return tm;
}

// Sorted like icecast's stats (strcmp), closed with the stylesheet's "dummy": null.
ordered closed(const std::map<std::string, ordered>& fields) {
    ordered out = ordered::object();
    for (const auto& [k, v] : fields) out[k] = v;
    out["dummy"] = nullptr;
    return out;
}

ordered source_json(const icecast_server_info& server, const icecast_source_info& s) {
    std::map<std::string, ordered> f;
    f["genre"] = s.genre.empty() ? "various" : s.genre;
    f["listener_peak"] = s.listener_peak;
    f["listeners"] = s.listeners;
    f["listenurl"] = fmt::format("http://{}:{}{}", server.host, server.port, s.mount);
    f["server_description"] = s.server_description.empty() ? "Unspecified description" : s.server_description;
    f["server_name"] = s.server_name.empty() ? "Unspecified name" : s.server_name;
    f["server_type"] = s.server_type;
    if (!s.server_url.empty()) f["server_url"] = s.server_url;
    f["stream_start"] = icecast_date(s.stream_start);
    f["stream_start_iso8601"] = icecast_date_iso8601(s.stream_start);
    if (!s.title.empty()) f["title"] = s.title;
    // What a libshout source announces in ice-audio-info, and icecast repeats as keys.
    f["audio_info"] = s.bitrate_kbps ? fmt::format("bitrate={};samplerate={};channels={}", s.bitrate_kbps, s.samplerate, s.channels)
                                     : fmt::format("samplerate={};channels={}", s.samplerate, s.channels);
    if (s.bitrate_kbps) f["bitrate"] = s.bitrate_kbps;
    f["samplerate"] = s.samplerate;
    f["channels"] = s.channels;
    // What icecast's Ogg codecs read from the stream's own headers.
    if (s.format == "ogg") {
        f["subtype"] = "Vorbis";
        f["audio_channels"] = s.channels;
        f["audio_samplerate"] = s.samplerate;
        if (s.bitrate_kbps) {
            f["audio_bitrate"] = s.bitrate_kbps * 1000;
            f["ice-bitrate"] = s.bitrate_kbps;
        }
    } else if (s.format == "opus") {
        f["subtype"] = "Opus";
    }
    return closed(f);
}

constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

}  // namespace

icecast_source_info icecast_source_for(const stream_definition& def, const output_definition& output) {
    icecast_source_info s;
    s.mount = "/live/" + def.id + "." + output.extension;
    s.format = output.format;
    s.server_type = output.content_type;
    s.server_name = def.name;
    s.server_description = def.description;
    s.genre = def.genre;
    s.server_url = def.url;
    s.bitrate_kbps = output.bitrate_kbps;
    s.samplerate = def.samplerate;
    s.channels = def.channels;
    return s;
}

std::string icecast_date(std::chrono::system_clock::time_point t) {
    const std::tm tm = utc(t);
    return fmt::format("{}, {:02} {} {} {:02}:{:02}:{:02} +0000", days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
                       tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string icecast_date_iso8601(std::chrono::system_clock::time_point t) {
    const std::tm tm = utc(t);
    return fmt::format("{}-{:02}-{:02}T{:02}:{:02}:{:02}+0000", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                       tm.tm_min, tm.tm_sec);
}

std::string render_icecast_status(const icecast_server_info& server, const std::vector<icecast_source_info>& sources) {
    std::vector<const icecast_source_info*> sorted;
    for (const auto& s : sources) sorted.push_back(&s);
    std::stable_sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->mount < b->mount; });
    std::map<std::string, ordered> f;
    f["admin"] = server.admin;
    f["host"] = server.host;
    f["location"] = server.location;
    f["server_id"] = server.server_id;
    f["server_start"] = icecast_date(server.server_start);
    f["server_start_iso8601"] = icecast_date_iso8601(server.server_start);
    if (sorted.size() == 1) f["source"] = source_json(server, *sorted.front());
    if (sorted.size() > 1) {
        ordered list = ordered::array();
        for (const auto* s : sorted) list.push_back(source_json(server, *s));
        f["source"] = std::move(list);
    }
    ordered doc = ordered::object();
    // The stylesheet's "dummy" closes icestats only when no source follows its own keys.
    if (sorted.empty()) {
        doc["icestats"] = closed(f);
    } else {
        ordered stats = ordered::object();
        for (auto& [k, v] : f) stats[k] = std::move(v);
        doc["icestats"] = std::move(stats);
    }
    // Titles come from sources and admins: bytes that are not UTF-8 become U+FFFD, never an exception.
    return doc.dump(-1, ' ', false, ordered::error_handler_t::replace);
}

}  // namespace timeside::server::live
