// GET /status-json.xsl in the shape of Debian's icecast2 2.4.4, so that tools written for Icecast
// (widgets, monitoring, directory scrapers) read ours unchanged. Rendered from plain structs the
// server fills from its running mounts: one Icecast "source" per output (per listener URL).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "server/live/stream_definition.hpp"

namespace timeside::server::live {

struct icecast_server_info {
    std::string admin = "icemaster@localhost";  // icecast's defaults for <admin>, <hostname>, <location>
    std::string host = "localhost";             // the host in every listenurl, as icecast's <hostname>
    unsigned port = 8000;                       // the port in every listenurl
    std::string location = "Earth";
    std::string server_id;                      // icecast: "Icecast 2.4.4"; ours: "TimeSide <version>"
    std::chrono::system_clock::time_point server_start;
};

struct icecast_source_info {
    std::string mount;         // "/live/radio.mp3": the listenurl's path; sources are sorted by it, as icecast does
    std::string format;        // mp3 | ogg (Vorbis) | opus | flac: decides the codec keys (subtype, audio_*)
    std::string server_type;   // the Content-Type listeners get: audio/mpeg, audio/ogg, audio/flac
    std::string server_name, server_description, genre, server_url;  // empty: icecast's defaults / omitted
    std::string title;         // the current title; empty: no "title" key (icecast has none before one is set)
    unsigned listeners = 0, listener_peak = 0;
    unsigned bitrate_kbps = 0;  // nominal; 0: no "bitrate" (VBR)
    int samplerate = 44100, channels = 2;
    std::chrono::system_clock::time_point stream_start;
};

// What a definition decides for one of its outputs (mount, format, type, names, bitrate, rate,
// channels); the caller adds what runs: listeners, listener_peak, title, stream_start.
icecast_source_info icecast_source_for(const stream_definition& def, const output_definition& output);

// icestats as icecast2 2.4.4 writes it: keys in icecast's (byte-wise sorted) order, each source
// (and icestats when it has none) closed by the "dummy": null its stylesheet leaves, "source" an object when there is one source,
// an array when there are several, absent when there are none; dates in UTC as
// "Sun, 06 Dec 2026 09:00:00 +0000" and "2026-12-06T09:00:00+0000". Text stays text (icecast's
// stylesheet turns a title like "1984" into a number; we do not). Compact JSON, UTF-8.
std::string render_icecast_status(const icecast_server_info& server, const std::vector<icecast_source_info>& sources);

// The two date formats, exposed for the tests: RFC 822 with a numeric zone, and ISO 8601.
std::string icecast_date(std::chrono::system_clock::time_point t);
std::string icecast_date_iso8601(std::chrono::system_clock::time_point t);

}  // namespace timeside::server::live
